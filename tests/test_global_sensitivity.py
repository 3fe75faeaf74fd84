"""The sensitivity analysis ranks parameters correctly on toy models whose answer is known."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, TINY, compose_config

from toolkit.config import ConfigError
from toolkit.sensitivity import (
    Design,
    Parameter,
    SensitivitySettings,
    apply_point,
    design_points,
    indices,
    point_overrides,
    sweep_results,
)


def _parameters(n: int, low: float = 0.0, high: float = 1.0) -> dict[str, Parameter]:
    return {f"x{i}": Parameter(key=f"toy.x{i}", range=(low, high)) for i in range(n)}


def test_morris_ranks_a_linear_model_by_its_slopes_and_finds_the_inert_parameter():
    # y = 10 x0 + 3 x1 + 0 x2 + 1 x3 - 6 x4: μ* is |slope| × the step, so the order is known
    slopes = np.array([10.0, 3.0, 0.0, 1.0, -6.0])
    parameters = _parameters(slopes.size)
    design = Design(method="morris", runs=10, levels=4, seed=1)
    points = design_points(parameters, design)
    assert points.shape == (10 * (slopes.size + 1), slopes.size)
    table = indices(parameters, design, points, points @ slopes)
    assert list(table.index) == ["x0", "x4", "x1", "x3", "x2"]
    assert table.loc["x2", "mu_star"] == 0.0
    assert np.allclose(table["sigma"], 0.0)  # linear: every step gives the same effect


def test_sobol_indices_of_the_ishigami_function_match_their_closed_form():
    # Ishigami (a = 7, b = 0.1) on [-π, π]³: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244);
    # x2 matters only through its interaction with x0
    parameters = _parameters(3, -np.pi, np.pi)
    design = Design(method="sobol", runs=1024, seed=2)
    x = design_points(parameters, design)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    table = indices(parameters, design, x, y)
    assert list(table.index) == ["x0", "x1", "x2"]
    assert table.loc[["x0", "x1", "x2"], "S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert table.loc[["x0", "x1", "x2"], "ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.05)


def test_each_run_gets_its_values_as_overrides_counts_rounded():
    parameters = {
        "buy": Parameter(key="shoppers.p_buy_given_pick", range=(0.3, 0.69)),
        "visits": Parameter(key="shoppers.visits_per_day", range=(250, 2000), integer=True),
    }
    points = design_points(parameters, Design(runs=4, seed=3))
    assert np.array_equal(points[:, 1], np.round(points[:, 1]))
    assert point_overrides(parameters, points[0]) == [
        f"shoppers.p_buy_given_pick={float(points[0, 0])!r}",
        f"shoppers.visits_per_day={int(points[0, 1])}",
    ]


def test_a_design_with_missing_outputs_is_refused_and_ranges_are_checked():
    parameters = _parameters(2)
    design = Design(runs=3)
    points = design_points(parameters, design)
    outputs = points.sum(axis=1)
    outputs[4] = np.nan
    with pytest.raises(ValueError, match="1 of 9 runs have no output"):
        indices(parameters, design, points, outputs)
    with pytest.raises(ConfigError, match=r"sensitivity\.parameters\.range"):
        Parameter.from_config({"key": "a.b", "range": [1.0, 0.5]})


def _settings(**design) -> SensitivitySettings:
    return SensitivitySettings.from_config(
        {
            "design": {"method": "morris", "runs": 2, "levels": 4, "seed": 0, **design},
            "point": 3,
            "outputs": {"gap": {"metric": "receipt_exact", "design": "vision_fusion", "minus": "rfid_gate"}},
            "parameters": {
                "buy_rate": {"key": "shoppers.p_buy_given_pick", "range": [0.3, 0.69]},
                "traffic": {"key": "shoppers.visits_per_day", "range": [250, 2000], "integer": True},
            },
        }
    )


def test_a_job_runs_its_design_points_values_and_refuses_a_point_past_the_design():
    settings = _settings()
    cfg = compose_config()
    values = apply_point(cfg, settings)
    point = design_points(settings.parameters, settings.design)[3]
    assert values == {"buy_rate": float(point[0]), "traffic": int(point[1])}
    assert (cfg.shoppers.p_buy_given_pick, cfg.shoppers.visits_per_day) == (
        values["buy_rate"],
        values["traffic"],
    )
    with pytest.raises(
        ConfigError, match=re.escape("sensitivity.point: the design has 6 points, 0 to 5; got 6")
    ):
        apply_point(compose_config(), settings.model_copy(update={"point": 6}))
    wrong = settings.model_copy(update={"parameters": {"x": Parameter(key="shoppers.nothing", range=(0, 1))}})
    with pytest.raises(ConfigError, match=re.escape("sensitivity.parameters.x.key: 'shoppers.nothing'")):
        apply_point(compose_config(), wrong.model_copy(update={"point": 0}))


def test_results_pair_each_point_with_its_run_and_leave_stale_or_missing_runs_empty():
    settings = _settings()
    points = design_points(settings.parameters, settings.design)

    def record(point: int, fusion: float, values: dict | None = None) -> dict:
        ran = values or {"buy_rate": float(points[point, 0]), "traffic": int(points[point, 1])}
        systems = {"vision_fusion": {"receipt_exact": fusion}, "rfid_gate": {"receipt_exact": 0.8}}
        return {"sensitivity": {"point": point, "values": ran}, "systems": systems}

    records = {0: record(0, 0.7), 1: record(1, 0.6, {"buy_rate": 0.5, "traffic": 1}), 2: record(2, 0.9)}
    results = sweep_results(settings, records)
    assert results["gap"].tolist()[:3] == pytest.approx([-0.1, math.nan, 0.1], nan_ok=True)
    assert results["gap"].isna().sum() == len(points) - 2  # point 1 ran other values; 3-5 never ran


@pytest.mark.e2e
def test_the_app_sweeps_every_point_analyses_them_and_resumes(tmp_path):
    """Two parameters, two trajectories: six tiny store-days, then the indices and the charts;
    the rerun of the same sweep runs no store-day again."""
    kept = {"buy_rate", "body_shadowed"}
    dropped = [f"~sensitivity.parameters.{n}" for n in _configured_parameters() if n not in kept]
    command = [
        sys.executable,
        str(ROOT / "experiments" / "sensitivity.py"),
        "-m",
        f"hydra.sweep.dir={tmp_path}",
    ]
    command += [
        *TINY,
        "sensitivity.design.runs=2",
        "sensor.presence.mode=direct",
        "hydra/launcher=local",
        *dropped,
    ]
    first = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert first.returncode == 0, first.stderr
    results = pd.read_csv(tmp_path / "sensitivity" / "results.csv", index_col="point")
    assert len(results) == 6 and results.notna().all().all()
    table = pd.read_csv(tmp_path / "sensitivity" / "indices.csv")
    assert set(table["parameter"]) == kept and set(table["output"]) == {
        "exact_receipts_gap",
        "cost_per_correct_receipt_gap",
    }
    assert (tmp_path / "sensitivity" / "tornado_exact_receipts_gap.png").stat().st_size > 0
    again = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already done, skipped") == 6
    assert pd.read_csv(tmp_path / "sensitivity" / "indices.csv").equals(table)


def _configured_parameters() -> list[str]:
    return list(compose_config(config_name="sensitivity").sensitivity.parameters)
