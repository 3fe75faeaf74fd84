"""Bad data never crashes deep in the stack nor yields a NaN metric: degenerate days, non-finite
or impossible readings, corrupt or foreign model checkpoints."""

from __future__ import annotations

import dataclasses
import json
import logging
import math

import numpy as np
import pytest
from conftest import TINY, compose_config

from toolkit.comparison import run_comparison
from toolkit.fusion import posterior
from toolkit.hypotheses import build_hypothesis_space
from toolkit.io import write_json_atomic
from toolkit.recognizers.base import DEFAULT_HYPOTHESES, synthetic_batch
from toolkit.recognizers.pressure import PressureRecognizer
from toolkit.recognizers.weight import WeightRecognizer
from toolkit.vision.render import RenderParams
from toolkit.vision.train import (
    TrainParams,
    cache_key,
    classifier_for_catalog,
    forget_loaded_classifiers,
    load_checkpoint,
    save_checkpoint,
)
from toolkit.world import make_world


def _numbers(record, key=""):
    """Every number in a nested record, with its key."""
    if isinstance(record, dict):
        for k, v in record.items():
            yield from _numbers(v, f"{key}.{k}")
    elif isinstance(record, int | float) and not isinstance(record, bool):
        yield key, record


@pytest.mark.e2e
@pytest.mark.parametrize(
    "overrides",
    [
        ["shoppers.picks_per_visit_mean=0", "shoppers.browse_stops_mean=0"],  # nobody takes anything
        ["catalog.n_skus=1", "store.n_shelves=1"],  # a one-SKU store
        ["catalog.weight_collision=1.0", "catalog.lookalike_share=1.0"],  # every SKU weighs alike
    ],
    ids=["takes-nothing", "one-sku", "identical-weights"],
)
def test_degenerate_days_run_every_system_to_finite_or_null_metrics(overrides):
    record = run_comparison(compose_config([*TINY, *overrides]))
    assert set(record["systems"]) == set(compose_config().system)
    bad = [key for key, value in _numbers(record) if not math.isfinite(value)]
    assert not bad
    json.dumps(record, allow_nan=False)


@pytest.fixture(scope="module")
def world():
    return make_world(compose_config(TINY).catalog, compose_config(TINY).store, 0)


def test_non_finite_or_impossible_readings_count_as_missing(world):
    space = build_hypothesis_space(world, DEFAULT_HYPOTHESES)
    batch = synthetic_batch(
        world, space, frozenset({"loadcell", "pressure"}), 12, np.random.default_rng(0), p_missing=0.0
    )
    weight, mat = batch.readings["loadcell"], batch.readings["pressure"]
    delta, weight_var = weight.delta_g.copy(), weight.variance_g2.copy()
    delta[:3] = [np.nan, np.inf, -np.inf]
    weight_var[3:6] = [np.nan, np.inf, -1.0]
    position, mat_var = mat.position_m.copy(), mat.variance_m2.copy()
    position[6:9] = [np.nan, np.inf, -np.inf]
    mat_var[9:12] = [np.nan, 0.0, -1.0]
    bad = dataclasses.replace(
        batch,
        readings={
            "loadcell": dataclasses.replace(weight, delta_g=delta, variance_g2=weight_var),
            "pressure": dataclasses.replace(mat, position_m=position, variance_m2=mat_var),
        },
    )
    valid = bad.hypotheses.valid
    evidence = []
    for recognizer, corrupted in ((WeightRecognizer(), slice(0, 6)), (PressureRecognizer(), slice(6, 12))):
        recognizer.prepare(world, np.random.default_rng(0))
        with np.errstate(all="raise"):  # no invalid arithmetic on the way
            loglik = recognizer.evidence(bad).loglik
        assert not np.isnan(loglik).any() and not np.isposinf(loglik).any()
        rows = loglik[corrupted]
        assert np.all(np.where(valid[corrupted], rows, 0.0) == 0.0)  # flat: a missing reading
        evidence.append((1.0, loglik))
    uniform = np.where(valid, 0.0, -np.inf)
    log_post, fallback = posterior(uniform, evidence, valid)
    assert np.allclose(np.exp(log_post).sum(axis=1), 1.0) and not fallback.any()


def test_a_non_finite_metric_is_written_as_null_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        write_json_atomic(tmp_path / "metrics.json", {"systems": {"x": {"revenue_error": float("nan")}}})
    assert json.loads((tmp_path / "metrics.json").read_text())["systems"]["x"]["revenue_error"] is None
    assert "systems.x.revenue_error" in caplog.text


@pytest.mark.slow
def test_a_corrupt_truncated_or_foreign_cached_model_is_replaced_with_a_warning(world, tmp_path, caplog):
    cfg = compose_config(TINY)
    render, train = RenderParams.from_config(cfg.vision.render), TrainParams.from_config(cfg.vision.train)
    appearance = world.catalog.appearance
    path = tmp_path / f"vision-{cache_key(appearance, render, train)}.pt"
    good = classifier_for_catalog(appearance, render, train, tmp_path, progress=False)
    whole = path.read_bytes()
    foreign = classifier_for_catalog(appearance[:5], render, train, tmp_path / "other", progress=False)
    for spoil, reason in (
        (lambda: path.write_bytes(b"\x80 not a checkpoint"), "not a readable checkpoint"),
        (lambda: path.write_bytes(whole[: len(whole) // 2]), "not a readable checkpoint"),
        (lambda: save_checkpoint(foreign, path), "trained for 5 SKUs"),
    ):
        spoil()
        forget_loaded_classifiers()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            classifier = classifier_for_catalog(appearance, render, train, tmp_path, progress=False)
        assert reason in caplog.text and "training anew" in caplog.text
        assert classifier.n_classes == good.n_classes
        assert load_checkpoint(path, good.n_classes).n_classes == good.n_classes  # the cache is whole again
