"""Minimum-cost rectangular assignment, compiled so a frame loop can call it without Python.

The same algorithm as ``scipy.optimize.linear_sum_assignment``: the shortest augmenting path of
Crouse (2016, IEEE TAES 52(4):1679-1696, pp. 1685-1686), with scipy's choices (a tall matrix is
solved transposed, columns are scanned in reverse order, a tie prefers a free column), so it
returns the same pairs; a test checks it against scipy on random, tied and gated matrices.
The tracker calls `solve_wide` once per camera frame, on a matrix it lays out as
`min_cost_assignment` would (transposed where detections are fewer than tracks).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _augmenting_path(
    cost: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    path: np.ndarray,
    row4col: np.ndarray,
    shortest: np.ndarray,
    row: int,
    sr: np.ndarray,
    sc: np.ndarray,
    remaining: np.ndarray,
) -> tuple[int, float]:
    """The sink column of the shortest augmenting path from `row` (-1: infeasible), and its cost."""
    nc = cost.shape[1]
    min_val = 0.0
    n_remaining = nc
    for it in range(nc):
        remaining[it] = nc - it - 1
    sr[:] = False
    sc[:] = False
    shortest[:] = np.inf
    sink = -1
    i = row
    while sink == -1:
        index = -1
        lowest = np.inf
        sr[i] = True
        for it in range(n_remaining):
            j = remaining[it]
            r = min_val + cost[i, j] - u[i] - v[j]
            if r < shortest[j]:
                path[j] = i
                shortest[j] = r
            if shortest[j] < lowest or (shortest[j] == lowest and row4col[j] == -1):
                lowest = shortest[j]
                index = it
        min_val = lowest
        if min_val == np.inf:
            return -1, min_val
        j = remaining[index]
        if row4col[j] == -1:
            sink = j
        else:
            i = row4col[j]
        sc[j] = True
        n_remaining -= 1
        remaining[index] = remaining[n_remaining]
    return sink, min_val


@njit(cache=True)
def solve_wide(cost: np.ndarray) -> np.ndarray:
    """Column of each row (rows <= columns) of the minimum-cost assignment."""
    nr, nc = cost.shape
    u, v = np.zeros(nr), np.zeros(nc)
    shortest = np.empty(nc)
    path = np.full(nc, -1, np.int64)
    col4row = np.full(nr, -1, np.int64)
    row4col = np.full(nc, -1, np.int64)
    sr, sc = np.zeros(nr, np.bool_), np.zeros(nc, np.bool_)
    remaining = np.empty(nc, np.int64)
    for cur in range(nr):
        sink, min_val = _augmenting_path(cost, u, v, path, row4col, shortest, cur, sr, sc, remaining)
        if sink < 0:
            raise ValueError("cost matrix is infeasible")
        u[cur] += min_val
        for i in range(nr):
            if sr[i] and i != cur:
                u[i] += min_val - shortest[col4row[i]]
        for j in range(nc):
            if sc[j]:
                v[j] -= min_val - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == cur:
                break
    return col4row


@njit(cache=True)
def min_cost_assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the minimum-cost assignment of an (R, C) cost matrix, sorted by
    row, as ``scipy.optimize.linear_sum_assignment`` returns them (and, like it, refusing NaN and
    −inf entries and a matrix with no finite assignment)."""
    nr, nc = cost.shape
    if nr == 0 or nc == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if np.isnan(cost).any() or (cost == -np.inf).any():
        raise ValueError("matrix contains invalid numeric entries")
    if nc >= nr:
        return np.arange(nr), solve_wide(cost)
    row_of_col = solve_wide(np.ascontiguousarray(cost.T))
    order = np.argsort(row_of_col)
    return row_of_col[order], order
