"""numpy's and scipy's results, bit for bit, in fewer passes: log-sum-exp, and the stable order of
small integers.

`scipy.special.logsumexp` is general (weights, signs, complex input, array-API namespaces): on a
real array it takes the exponential of every element twice (once only to handle rows whose
result is infinite) and makes about fifteen passes. The designs' posteriors call it on tens of
millions of elements a store-day, a tenth of the day's time. `logsumexp` here does scipy's
real-valued, unweighted computation step for step (the largest term taken out of the sum, the
rest shifted, exponentiated and summed in the same layout: the same additions in the same
order), and scipy's direct formula only on the rows whose result is ±inf or NaN. Its results are
scipy's, bit for bit (tests/test_numerics.py).

`stable_order` is `np.argsort(keys, kind="stable")` for integer keys, by counting where their
range is narrow (a day's camera frames): linear where the sort is n log n, on millions of frames
a day.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def logsumexp(a: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """log Σ exp(a) along `axis`, in a's floating type: `scipy.special.logsumexp(a, axis=axis,
    keepdims=keepdims)` for a real array of at least one dimension and one axis (an empty axis
    gives -inf, as scipy's does)."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    if a.shape[axis] == 0:
        out = np.full_like(np.sum(a, axis=axis, keepdims=True), -np.inf)
        return out if keepdims else np.squeeze(out, axis=axis)
    if a.shape[axis] == 1:  # scipy's log1p(0) + log(1) + a: a, with -0.0 made 0.0
        return a + 0.0 if keepdims else np.squeeze(a + 0.0, axis=axis)
    if a.shape[axis] == 2:  # the same steps on the two halves: a reduction over two is slow
        return _logsumexp_of_two(a, axis, keepdims)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a_max = np.max(a, axis=axis, keepdims=True)
        at_max = a == a_max
        # terms equal to the largest are taken out of the sum and counted (m of them)
        m = np.count_nonzero(at_max, axis=axis, keepdims=True).astype(a.dtype)
        terms = np.subtract(a, a_max)
        np.exp(terms, out=terms)
        np.copyto(terms, 0.0, where=at_max)
        rest = np.sum(terms, axis=axis, keepdims=True, dtype=a.dtype)
        out = np.log1p(rest / m) + np.log(m) + a_max
        # an infinite largest term, an all -inf row or a NaN: scipy's direct log Σ exp
        infinite = ~np.isfinite(out)
        if infinite.any():
            rows = np.moveaxis(a, axis, -1)[np.moveaxis(infinite, axis, -1)[..., 0]]
            out[infinite] = np.log(np.sum(np.exp(rows), axis=-1))
    return out if keepdims else np.squeeze(out, axis=axis)


def _logsumexp_of_two(a: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
    """`logsumexp` along an axis of two terms, elementwise on the two: the larger taken out,
    the other's exp(b − max) (or 0 where it ties) added, log1p(rest / m) + log(m) + max."""
    first, second = (np.take(a, [i], axis=axis) for i in (0, 1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a_max = np.maximum(first, second)
        first_max, second_max = first == a_max, second == a_max
        m = first_max.astype(a.dtype) + second_max.astype(a.dtype)
        rest = np.where(first_max, 0.0, np.exp(first - a_max))
        rest = rest + np.where(second_max, 0.0, np.exp(second - a_max))
        out = np.log1p(rest / m) + np.log(m) + a_max
        infinite = ~np.isfinite(out)
        if infinite.any():
            out[infinite] = np.log(np.exp(first[infinite]) + np.exp(second[infinite]))
    return out if keepdims else np.squeeze(out, axis=axis)


def stable_order(keys: np.ndarray) -> np.ndarray:
    """`np.argsort(keys, kind="stable")` of a 1-D integer array: by a counting sort over the keys'
    range where that range is not much wider than their number, by numpy's sort elsewhere."""
    if keys.ndim != 1 or keys.dtype.kind not in "iu":
        raise TypeError(f"stable_order sorts a 1-D integer array, got {keys.dtype} of shape {keys.shape}")
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    lowest, highest = int(keys.min()), int(keys.max())  # Python integers: no overflow
    int64 = np.iinfo(np.int64)
    if highest - lowest > 4 * keys.size + 1024 or lowest < int64.min or highest > int64.max:
        return np.argsort(keys, kind="stable")
    return _counting_order(keys, lowest, highest)


@njit(cache=True)
def _counting_order(keys: np.ndarray, lowest: int, highest: int) -> np.ndarray:
    start = np.zeros(highest - lowest + 2, np.int64)
    for i in range(keys.size):
        start[keys[i] - lowest + 1] += 1
    for k in range(1, start.size):
        start[k] += start[k - 1]
    order = np.empty(keys.size, np.int64)
    for i in range(keys.size):
        at = start[keys[i] - lowest]
        order[at] = i
        start[keys[i] - lowest] = at + 1
    return order
