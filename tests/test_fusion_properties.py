"""Property tests (hypothesis) on the fusion core: `posterior` behaves as Bayes' rule should."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp

from toolkit.fusion import posterior

finite = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw, n_recognizers: int = 2):
    """A batch of events: log prior, evidence of several recognizers, validity (≥ 1 valid each)."""
    n_events = draw(st.integers(1, 5))
    n_hyps = draw(st.integers(1, 6))
    shape = (n_events, n_hyps)
    valid = draw(arrays(bool, shape))
    valid[np.arange(n_events), draw(arrays(np.int64, n_events, elements=st.integers(0, n_hyps - 1)))] = True
    raw_prior = draw(arrays(float, shape, elements=finite))
    masked = np.where(valid, raw_prior, -np.inf)
    log_prior = masked - logsumexp(masked, axis=1, keepdims=True)  # a distribution over the valid ones
    evidence = [
        (draw(st.floats(0.1, 3.0)), draw(arrays(float, shape, elements=finite))) for _ in range(n_recognizers)
    ]
    return log_prior, evidence, valid


@settings(max_examples=200, deadline=None)
@given(problems())
def test_the_posterior_is_a_finite_distribution_over_valid_hypotheses(problem):
    log_prior, evidence, valid = problem
    log_post, fallback = posterior(log_prior, evidence, valid)
    p = np.exp(log_post)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.all(np.isfinite(log_post[valid]))
    assert np.all(p[~valid] == 0.0)
    assert not fallback.any()


@settings(max_examples=200, deadline=None)
@given(problems(n_recognizers=3))
def test_the_order_of_recognizers_does_not_matter(problem):
    log_prior, evidence, valid = problem
    forward, _ = posterior(log_prior, evidence, valid)
    backward, _ = posterior(log_prior, evidence[::-1], valid)
    assert np.allclose(np.exp(forward), np.exp(backward), atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(problems(), finite)
def test_a_recognizer_with_flat_evidence_changes_nothing(problem, level):
    log_prior, evidence, valid = problem
    flat = np.full(valid.shape, level)
    without, _ = posterior(log_prior, evidence, valid)
    with_flat, _ = posterior(log_prior, [*evidence, (1.0, flat)], valid)
    assert np.allclose(np.exp(without), np.exp(with_flat), atol=1e-12)


def _entropy(log_p: np.ndarray) -> np.ndarray:
    p = np.exp(log_p)
    return -(p * np.where(p > 0, log_p, 0.0)).sum(axis=1)


@settings(max_examples=200, deadline=None)
@given(problems(n_recognizers=1))
def test_the_same_evidence_twice_sharpens_the_posterior(problem):
    _, evidence, valid = problem
    uniform = np.where(valid, -np.log(valid.sum(axis=1, keepdims=True)), -np.inf)
    once, _ = posterior(uniform, evidence, valid)
    twice, _ = posterior(uniform, evidence * 2, valid)
    assert np.all(_entropy(twice) <= _entropy(once) + 1e-9)
    assert np.all(np.exp(twice).max(axis=1) >= np.exp(once).max(axis=1) - 1e-12)


@settings(max_examples=100, deadline=None)
@given(problems(n_recognizers=1), st.data())
def test_an_all_impossible_row_falls_back_to_the_prior_and_is_flagged(problem, data):
    log_prior, evidence, valid = problem
    row = data.draw(st.integers(0, valid.shape[0] - 1))
    beta, loglik = evidence[0]
    loglik = loglik.copy()
    loglik[row] = -np.inf
    log_post, fallback = posterior(log_prior, [(beta, loglik)], valid)
    assert fallback[row] and fallback.sum() == 1
    assert np.allclose(np.exp(log_post[row]), np.exp(log_prior[row]))


@settings(max_examples=200, deadline=None)
@given(problems(n_recognizers=2))
def test_bayes_rule_by_brute_force_agrees(problem):
    log_prior, evidence, valid = problem
    log_post, _ = posterior(log_prior, evidence, valid)
    for e in range(valid.shape[0]):
        scores = [
            math.exp(log_prior[e, h] + sum(beta * loglik[e, h] for beta, loglik in evidence))
            if valid[e, h]
            else 0.0
            for h in range(valid.shape[1])
        ]
        total = sum(scores)
        if total == 0.0 or not math.isfinite(total):  # under- or overflow in linear space: skip
            continue
        assert np.allclose(np.exp(log_post[e]), [s / total for s in scores], atol=1e-9)
