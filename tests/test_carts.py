"""Virtual carts: the ledger of holdings, the joint (hypothesis, shopper) step, and receipts."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.carts import CartLedger, build_receipts, joint_cart_posterior
from toolkit.hypotheses import EventHypotheses


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
