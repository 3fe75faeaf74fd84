"""The compiled assignment returns scipy's pairs, also on ties and on gated (1e9) entries."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from toolkit.assignment import min_cost_assignment


def _matrix(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        return rng.random(shape)
    if kind == "ties":  # small integers: many optimal assignments, scipy's tie rule decides
        return rng.integers(0, 3, shape).astype(float)
    cost = rng.random(shape) * 20.0  # the tracker's gate: most pairs unassignable
    cost[rng.random(shape) < 0.6] = 1.0e9
    return cost


@pytest.mark.parametrize("kind", ["random", "ties", "gated"])
def test_the_same_pairs_as_scipy(kind):
    rng = np.random.default_rng(7)
    for _ in range(1500):
        cost = _matrix(kind, tuple(rng.integers(0, 9, 2)), rng)
        rows, cols = min_cost_assignment(cost)
        want_rows, want_cols = linear_sum_assignment(cost)
        assert np.array_equal(rows, want_rows) and np.array_equal(cols, want_cols), cost


def test_an_infeasible_or_invalid_matrix_is_refused_as_scipy_refuses_it():
    for bad, message in ((np.full((2, 2), np.inf), "infeasible"), (np.array([[0.0, np.nan]]), "invalid")):
        with pytest.raises(ValueError, match=message):
            linear_sum_assignment(bad)
        with pytest.raises(ValueError, match=message):
            min_cost_assignment(bad)
    with pytest.raises(ValueError, match="invalid"):
        min_cost_assignment(np.array([[1.0], [-np.inf]]))
