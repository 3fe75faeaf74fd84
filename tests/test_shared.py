"""Work the designs of a day share: computed once, read-only, gone with the day, and the same
results as each design computing it alone."""

from __future__ import annotations

import gc
import json
import weakref

import numpy as np
import pytest
from conftest import compose_config

from toolkit import shared
from toolkit.comparison import run_comparison
from toolkit.hypotheses import build_hypothesis_space
from toolkit.recognizers.base import DEFAULT_HYPOTHESES, synthetic_batch
from toolkit.recognizers.weight import WeightRecognizer
from toolkit.shared import once_per
from toolkit.systems.fusion import _shared_evidence
from toolkit.world import make_world


class Day:
    """A stand-in for a day's input (any object that takes weak references)."""


def test_a_result_is_computed_once_per_inputs_and_label_read_only_and_dropped_with_an_input():
    day, other = Day(), Day()
    calls = []

    def compute():
        calls.append(1)
        return np.arange(3.0), np.zeros(2)

    first = once_per((day,), ("prior", 0.4), compute)
    assert once_per((day,), ("prior", 0.4), compute) is first and len(calls) == 1
    once_per((day,), ("prior", 0.5), compute)  # another label
    once_per((other,), ("prior", 0.4), compute)  # another object, however alike
    once_per((day, other), ("prior", 0.4), compute)  # other inputs
    assert len(calls) == 4
    with pytest.raises(ValueError, match="read-only"):
        first[0][0] = 1.0
    reading_other = [k for k, e in shared._ENTRIES.items() if any(r() is other for r in e.inputs)]
    assert len(reading_other) == 2
    watching_day = len(weakref.finalize._registry)
    del other
    gc.collect()
    assert not set(reading_other) & set(shared._ENTRIES)  # every result that read it is gone
    assert len(weakref.finalize._registry) == watching_day - 3  # and the watch on `day` for one
    with pytest.raises(TypeError, match="names and numbers"):
        once_per((day,), ("prior", np.zeros(2)), compute)


def _evidence_calls(monkeypatch, recognizer_class):
    calls = []
    original = recognizer_class.evidence
    monkeypatch.setattr(
        recognizer_class, "evidence", lambda self, batch: calls.append(1) or original(self, batch)
    )
    return calls


def test_recognizers_share_evidence_only_with_the_same_class_and_settings(monkeypatch):
    """Two weight recognizers with the same settings score a batch once; another width of the
    error model, or a subclass that does not define its own sharing key, scores it again."""

    class NoisyWeight(WeightRecognizer):  # say it draws on its generator: it must not share
        pass

    cfg = compose_config(["catalog.n_skus=24", "store.n_shelves=4"])
    world = make_world(cfg.catalog, cfg.store, seed=0)
    space = build_hypothesis_space(world, DEFAULT_HYPOTHESES)
    batch = synthetic_batch(world, space, frozenset({"loadcell"}), 50, np.random.default_rng(1))
    calls = _evidence_calls(monkeypatch, WeightRecognizer)
    recognizers = [WeightRecognizer(), WeightRecognizer(), WeightRecognizer(extra_sigma_g=5.0), NoisyWeight()]
    results = []
    for seed, recognizer in enumerate(recognizers):
        recognizer.prepare(world, np.random.default_rng(seed))
        results.append(_shared_evidence(recognizer, world, batch))
    assert results[1] is results[0] and len(calls) == 3
    assert not np.array_equal(results[2], results[0])
    assert results[3] is not results[0] and np.array_equal(results[3], results[0])


@pytest.mark.e2e
def test_designs_fusing_the_same_recognizer_score_a_day_once_with_the_results_of_each_alone(monkeypatch):
    """weight_only, weight_history and weight_pressure fuse the same weight recognizer: it scores
    the day's hypotheses once for all three (each still scores its own misplaced-item floor), and
    each design's metrics are those it gives run alone."""
    widths = []
    original = WeightRecognizer.evidence
    monkeypatch.setattr(
        WeightRecognizer,
        "evidence",
        lambda self, batch: widths.append(batch.hypotheses.shape[1]) or original(self, batch),
    )
    designs = ["weight_only", "weight_history", "weight_pressure"]
    together = run_comparison(compose_config(["debug=tiny", f"system=[{','.join(designs)}]"]))
    base_width = max(widths)
    assert widths.count(base_width) == 1 and len(widths) > 1
    for design in designs:
        alone = run_comparison(compose_config(["debug=tiny", f"system=[{design}]"]))
        assert json.dumps(alone["systems"][design], sort_keys=True) == json.dumps(
            together["systems"][design], sort_keys=True
        )
