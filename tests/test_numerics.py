"""toolkit.numerics.logsumexp gives scipy's bits: ties for the largest term, -inf padding, whole
rows of -inf, +inf and NaN, every axis, a transposed (non-contiguous) input, with and without
keepdims, float32 and integer input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp as scipy_logsumexp

from toolkit.numerics import logsumexp, stable_order


def _awkward_array(rng: np.random.Generator, trial: int) -> np.ndarray:
    shape = tuple(rng.integers(1, 13, rng.integers(1, 5)))
    a = rng.normal(0.0, 30.0, shape)
    draw = rng.random(shape)
    a[draw < 0.3] = -np.inf
    if trial % 3 == 0:
        a = np.round(a)  # ties for the largest term
    if trial % 7 == 0:
        a[draw > 0.97] = np.inf
    if trial % 11 == 0:
        a[draw > 0.98] = np.nan
    if trial % 5 == 0 and a.ndim >= 2:
        a = np.swapaxes(a, 0, -1)
    if trial % 4 == 1:
        a = a.astype(np.float32)  # the CNN's log-probabilities
    return a


@pytest.mark.parametrize("seed", range(4))
def test_logsumexp_gives_scipys_bits(seed):
    rng = np.random.default_rng(seed)
    for trial in range(60):
        a = _awkward_array(rng, trial)
        for axis in range(-a.ndim, a.ndim):
            for keepdims in (False, True):
                expected = scipy_logsumexp(a, axis=axis, keepdims=keepdims)
                got = logsumexp(a, axis=axis, keepdims=keepdims)
                assert got.shape == expected.shape and got.dtype == expected.dtype
                assert got.tobytes() == expected.tobytes(), (a, axis, keepdims)


def test_rows_of_minus_infinity_give_minus_infinity_and_wide_rows_stay_exact():
    a = np.full((3, 40), -np.inf)
    a[1] = np.linspace(-5.0, 700.0, 40)
    a[2, :3] = 2.0
    out = logsumexp(a, axis=1)
    assert out[0] == -np.inf
    assert out[2] == pytest.approx(2.0 + np.log(3.0))
    assert out.tobytes() == scipy_logsumexp(a, axis=1).tobytes()
    single = np.array([[-0.0, 2.0, -np.inf, np.inf, np.nan]])
    for keepdims in (False, True):
        got = logsumexp(single, axis=0, keepdims=keepdims)
        assert got.tobytes() == scipy_logsumexp(single, axis=0, keepdims=keepdims).tobytes()
    for empty in (np.zeros((3, 0)), np.zeros((2, 0, 4), dtype=np.float32)):
        for keepdims in (False, True):
            expected = scipy_logsumexp(empty, axis=1, keepdims=keepdims)
            assert logsumexp(empty, axis=1, keepdims=keepdims).tobytes() == expected.tobytes()
    counts = np.arange(12).reshape(3, 4)
    assert logsumexp(counts, axis=0).tobytes() == scipy_logsumexp(counts, axis=0).tobytes()


def test_axes_of_two_terms_give_scipys_bits():
    """The two-term path (a hypothesis's lines): ties, infinities, NaN, float32, any axis."""
    rng = np.random.default_rng(9)
    for trial in range(1000):
        shape = list(rng.integers(1, 6, rng.integers(1, 4)))
        axis = int(rng.integers(0, len(shape)))
        shape[axis] = 2
        a = np.round(rng.normal(0.0, 3.0, shape)) if trial % 2 else rng.normal(0.0, 300.0, shape)
        a[rng.random(shape) < 0.2] = -np.inf
        if trial % 5 == 0:
            a[rng.random(shape) < 0.1] = np.inf
        if trial % 7 == 0:
            a[rng.random(shape) < 0.1] = np.nan
        if trial % 3 == 0:
            a = a.astype(np.float32)
        for keepdims in (False, True):
            expected = scipy_logsumexp(a, axis=axis, keepdims=keepdims)
            assert logsumexp(a, axis=axis, keepdims=keepdims).tobytes() == expected.tobytes()


def test_stable_order_is_numpys_stable_argsort():
    rng = np.random.default_rng(11)
    for trial in range(200):
        low = int(rng.integers(-1000, 1000))
        keys = rng.integers(low, low + int(rng.integers(1, 400)), int(rng.integers(0, 3000)))
        if trial % 4 == 0:  # runs, as a visit's frames come
            keys = np.sort(keys)
        keys = keys.astype([np.int64, np.int32, np.uint16][trial % 3]) if low >= 0 or trial % 3 < 2 else keys
        assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable")), trial
    wide = [
        np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max, 0, -1]),
        np.array([0, 2**36, 5, 2**36, 0]),
        np.array([2**64 - 3, 2**64 - 1, 2**64 - 3], dtype=np.uint64),  # narrow, beyond int64
        np.array([2**63 - 2, 2**63 - 1, 2**63 - 2]),
    ]
    for keys in wide:  # numpy's sort takes these: counting would overflow or take their range
        assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable")), keys
    with pytest.raises(TypeError, match="1-D integer"):
        stable_order(np.array([0.5, 1.5]))
