"""The sensitivity analysis ranks parameters correctly on toy models whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.config import ConfigError
from toolkit.sensitivity import Design, Parameter, design_points, indices, point_overrides


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
