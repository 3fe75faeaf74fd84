"""Virtual carts: the ledger of holdings, the joint (hypothesis, shopper) step, and receipts."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.carts import CartLedger, build_receipts, joint_cart_posterior
from toolkit.hypotheses import EventHypotheses
from toolkit.sensors.observations import KEY_STRIDE_S


def test_ledger_counts_net_units_held_before_a_time():
    visit = np.array([0, 0, 1, 0])
    sku = np.array([[2, -1], [2, 3], [2, -1], [2, -1]])
    count = np.array([[1, 0], [2, 1], [1, 0], [-1, 0]])
    time = np.array([10.0, 20.0, 30.0, 40.0])
    ledger = CartLedger.from_decisions(visit, sku, count, time, n_skus=5)
    held = ledger.units_before(
        np.array([0, 0, 0, 0, 1, 1, -1]),
        np.array([2, 2, 2, 3, 2, 3, 2]),
        np.array([10.0, 15.0, 50.0, 25.0, 31.0, 31.0, 50.0]),
    )
    assert held.tolist() == [0, 1, 2, 1, 1, 0, 0]


def test_a_put_back_goes_to_the_shopper_who_holds_the_item():
    # one event: two hypotheses (put back SKU 1, put back SKU 2), equally likely from the weight;
    # two shoppers, the nearer one (visit 5) holds neither, visit 6 holds SKU 2
    hyps = EventHypotheses(
        sku=np.array([[[1, -1], [2, -1]]]),
        count=np.array([[[-1, 0], [-1, 0]]]),
        valid=np.ones((1, 2), dtype=bool),
        form=np.zeros((1, 2), dtype=np.int8),
    )
    ledger = CartLedger.from_decisions(
        np.array([6]), np.array([[2, -1]]), np.array([[1, 0]]), np.array([5.0]), 3
    )
    log_post = np.log(np.array([[0.5, 0.5]]))
    attribution = np.log(np.array([[0.7, 0.3]]))
    new_post, visit, confidence = joint_cart_posterior(
        log_post, hyps, attribution, np.array([[5, 6]]), np.array([9.0]), ledger, epsilon=0.01
    )
    assert visit.tolist() == [6]
    assert np.exp(new_post[0, 1]) > 0.9  # SKU 2 is the one somebody can put back
    assert confidence[0] > 0.9
    assert np.exp(new_post).sum() == pytest.approx(1.0)


def test_takes_are_unaffected_by_holdings():
    hyps = EventHypotheses(
        sku=np.array([[[1, -1], [2, -1]]]),
        count=np.array([[[1, 0], [1, 0]]]),
        valid=np.ones((1, 2), dtype=bool),
        form=np.zeros((1, 2), dtype=np.int8),
    )
    ledger = CartLedger.from_decisions(
        np.zeros(0, int), np.zeros((0, 2), int), np.zeros((0, 2), int), np.zeros(0), 3
    )
    log_post = np.log(np.array([[0.6, 0.4]]))
    new_post, visit, confidence = joint_cart_posterior(
        log_post, hyps, np.log(np.array([[0.8, 0.2]])), np.array([[3, 4]]), np.array([1.0]), ledger, 0.01
    )
    assert np.allclose(new_post, log_post)
    assert visit.tolist() == [3] and confidence[0] == pytest.approx(0.8)


def test_receipts_sum_lines_per_visit_and_never_go_negative():
    sku = np.array([[0, 1], [0, -1], [2, -1], [1, -1]])
    count = np.array([[2, 1], [-1, 0], [-1, 0], [1, 0]])
    visit = np.array([0, 0, 1, -1])
    receipts = build_receipts(sku, count, visit, n_visits=2, n_skus=3)
    assert receipts.tolist() == [[1, 1, 0], [0, 0, 0]]


def _old_joint(log_post, hyps, attribution_log_p, candidate_visit, time_s, ledger, epsilon):
    """The cart step as it was written before the ledger was asked only about put-back lines:
    every (event, candidate, hypothesis, line) at once."""
    from scipy.special import logsumexp

    returning = (hyps.sku >= 0) & (hyps.count < 0)
    held = (
        ledger.units_before(candidate_visit[:, :, None, None], hyps.sku[:, None], time_s[:, None, None, None])
        > 0
    )
    unheld = (returning[:, None] & ~held).any(axis=-1) & (candidate_visit >= 0)[:, :, None]
    with np.errstate(invalid="ignore"):
        joint = log_post[:, None, :] + attribution_log_p[:, :, None] + np.where(unheld, np.log(epsilon), 0.0)
    marginal = logsumexp(joint, axis=1)
    with np.errstate(invalid="ignore"):
        marginal = marginal - logsumexp(marginal, axis=1, keepdims=True)
    new_post = np.where(np.isfinite(marginal), marginal, log_post)
    best = np.argmax(new_post, axis=1)
    given = np.take_along_axis(joint, best[:, None, None], axis=2)[:, :, 0]
    with np.errstate(invalid="ignore"):
        given = given - logsumexp(given, axis=1, keepdims=True)
    pick = np.argmax(given, axis=1)
    chosen = np.take_along_axis(candidate_visit, pick[:, None], 1)[:, 0]
    p = np.exp(np.take_along_axis(given, pick[:, None], 1)[:, 0])
    return new_post, chosen, np.where((chosen >= 0) & np.isfinite(p), p, 0.0)


@pytest.mark.parametrize(("seed", "n_cands"), [(0, 5), (1, 5), (2, 12)])
def test_the_cart_step_equals_its_all_pairs_form_exactly(seed, n_cands):
    """Random days with padded candidates, events nobody stood at, take-only events and put-backs
    of held and unheld items: the same posterior, visits and confidences, bit for bit."""
    rng = np.random.default_rng(seed)
    n_events, n_hyps, n_visits, n_skus = 700, 9, 40, 12  # 12 candidates: numpy sums their rows pairwise
    time_s = np.sort(rng.uniform(0, 3600, n_events))
    ledger = CartLedger.from_decisions(
        rng.integers(-1, n_visits, n_events),
        np.c_[rng.integers(0, n_skus, n_events), np.full(n_events, -1)],
        np.c_[rng.choice([-1, 1, 2], n_events), np.zeros(n_events, np.int64)],
        time_s,
        n_skus,
    )
    sku = np.where(
        rng.random((n_events, n_hyps, 2)) < 0.7, rng.integers(0, n_skus, (n_events, n_hyps, 2)), -1
    )
    count = np.where(sku >= 0, rng.choice([-2, -1, 1, 2, 3], sku.shape), 0)
    count[: n_events // 4] = np.abs(count[: n_events // 4])  # some events have no put-back line
    hyps = EventHypotheses(
        sku=sku, count=count, valid=sku[..., 0] >= 0, form=np.zeros((n_events, n_hyps), np.int8)
    )
    n_seen = rng.integers(0, n_cands + 1, n_events)  # 0: nobody at the shelf
    cands = np.where(np.arange(n_cands) < n_seen[:, None], rng.integers(0, n_visits, (n_events, n_cands)), -1)
    cands[rng.random(cands.shape) < 0.1] = -1  # a gap before a later candidate
    attribution = np.where(cands >= 0, rng.normal(-1.0, 1.0, cands.shape), -np.inf)
    nobody = ~(cands >= 0).any(axis=1)
    attribution[nobody] = -np.log(n_cands)  # as attribution_log_probs: uniform over the padding
    log_post = np.where(hyps.valid, rng.normal(-2.0, 1.0, hyps.valid.shape), -np.inf)
    new = joint_cart_posterior(log_post, hyps, attribution, cands, time_s, ledger, 0.01)
    old = _old_joint(log_post, hyps, attribution, cands, time_s, ledger, 0.01)
    for got, want in zip(new, old, strict=True):
        assert np.array_equal(got, want)


def _two_searches(ledger: CartLedger, visit, sku, time_s) -> np.ndarray:
    """`units_before` as whole-array searches, its specification: the cumulative units at the
    query's time less those at its (visit, sku) group's start."""
    known = (visit >= 0) & (sku >= 0)
    base = (np.where(known, visit, 0) * ledger.n_skus + np.where(known, sku, 0)) * KEY_STRIDE_S
    units = (
        ledger.cumulative[np.searchsorted(ledger.key, base + time_s)]
        - ledger.cumulative[np.searchsorted(ledger.key, base)]
    )
    return np.where(known, units, 0)


def test_the_compiled_ledger_lookup_is_the_two_searches():
    rng = np.random.default_rng(4)
    for trial in range(200):
        n_visits, n_skus, n = int(rng.integers(1, 40)), int(rng.integers(1, 25)), int(rng.integers(0, 300))
        time = rng.random(n) * 1000.0
        queries = rng.random(400) * 1100.0
        if trial % 2:  # decisions and queries at the same instants
            time, queries = np.round(time, -2), np.round(queries, -2)
        if trial % 5 == 0:  # times the pipeline never asks about: before the day, NaN, inf
            queries[:20], queries[20:25], queries[25:30] = -rng.random(20) * 50.0, np.nan, np.inf
        ledger = CartLedger.from_decisions(
            rng.integers(-1, n_visits, n),
            rng.integers(-1, n_skus, (n, 3)),
            rng.integers(-2, 3, (n, 3)),
            time,
            n_skus,
        )
        visit, sku = rng.integers(-1, n_visits + 2, 400), rng.integers(-1, n_skus, 400)
        want = _two_searches(ledger, visit, sku, queries)
        got = ledger.units_before(visit, sku, queries)
        assert got.dtype == want.dtype and np.array_equal(got, want), trial
    visit, sku, when = (
        np.array([0, 1, -1])[:, None, None],
        np.array([1, 2])[:, None],
        np.array([1.0, 6.0, 10.0]),
    )
    assert np.array_equal(ledger.units_before(visit, sku, when), _two_searches(ledger, visit, sku, when))
