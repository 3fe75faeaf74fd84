"""Each accuracy metric against a case computed by hand."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from conftest import small_day

from toolkit.calibration import expected_calibration_error
from toolkit.metrics.accuracy import (
    aurc,
    line_scores,
    lines_equal,
    receipt_exact_match,
    revenue_errors,
    risk_coverage,
)
from toolkit.review import HumanReviewer
from toolkit.shoppers import TAKE

TRUE = np.array([[1, 0, 2], [0, 1, 0], [0, 0, 0]])
PRED = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 0]])
PRICE = np.array([2.0, 3.0, 5.0])


def test_receipt_exact_match_counts_identical_visits():
    assert receipt_exact_match(PRED, TRUE) == pytest.approx(1 / 3)  # only the empty visit matches
    assert receipt_exact_match(TRUE, TRUE) == 1.0


def test_line_scores_need_sku_and_count_to_match():
    precision, recall, f1 = line_scores(PRED, TRUE)
    # predicted lines: (0,0,1) (0,2,1) (1,1,1) (1,2,1); true lines: (0,0,1) (0,2,2) (1,1,1)
    assert precision == pytest.approx(2 / 4)
    assert recall == pytest.approx(2 / 3)
    assert f1 == pytest.approx(2 * (1 / 2) * (2 / 3) / (1 / 2 + 2 / 3))


def test_line_scores_of_empty_receipts():
    empty = np.zeros((2, 3), dtype=int)
    assert line_scores(empty, empty) == (1.0, 1.0, 1.0)
    assert line_scores(empty, TRUE[:2]) == (0.0, 0.0, 0.0)


def test_revenue_error_splits_over_and_under_charge():
    errors = revenue_errors(PRED, TRUE, PRICE)
    revenue = 2 + 10 + 3  # 15
    assert errors["undercharge"] == pytest.approx(5 / revenue)  # one unit of SKU 2 missed in visit 0
    assert errors["overcharge"] == pytest.approx(5 / revenue)  # one unit of SKU 2 added to visit 1
    assert errors["revenue_error"] == pytest.approx(10 / revenue)


def test_lines_equal_compares_whole_decisions():
    sku = np.array([[3, -1], [1, 2], [1, 2]])
    count = np.array([[1, 0], [1, 1], [1, -1]])
    assert lines_equal(
        sku, count, np.array([[3, -1], [1, 2], [1, 2]]), np.array([[1, 0], [1, 1], [1, 1]])
    ).tolist() == [
        True,
        True,
        False,
    ]


def test_ece_with_15_bins_by_hand():
    confidence = np.array([0.95, 0.95, 0.55, 0.55])
    correct = np.array([True, False, True, True])
    # bin of 0.95: accuracy 0.5, confidence 0.95 -> |0.45| * 2/4; bin of 0.55: |1 - 0.55| * 2/4
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.45 * 0.5 + 0.45 * 0.5)
    perfect = np.array([1.0, 1.0])
    assert expected_calibration_error(perfect, np.array([True, True])) == 0.0


def test_risk_coverage_and_aurc_by_hand():
    confidence = np.array([0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, False, True, False])
    coverage, risk = risk_coverage(confidence, correct)
    assert coverage.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert risk.tolist() == pytest.approx([0.0, 0.5, 1 / 3, 0.5])
    assert aurc(confidence, correct) == pytest.approx((0 + 0.5 + 1 / 3 + 0.5) / 4)
    # a confidence that ranks errors last gives a lower AURC
    assert aurc(np.array([0.9, 0.6, 0.8, 0.7]), correct) < aurc(confidence, correct)


def test_a_merged_event_stands_for_every_interaction_in_it_and_review_returns_them_all():
    _, _, truth = small_day()
    takes = np.flatnonzero((truth.inter_kind == TAKE) & (truth.inter_sku[:, 1] < 0))
    visits, counts = np.unique(truth.inter_visit[takes], return_counts=True)
    busy = visits[counts >= 2][0]
    a, b = takes[truth.inter_visit[takes] == busy][:2]
    c, d = takes[truth.inter_visit[takes] != busy][:2]
    # event 0: two grabs of one shopper and one of another merged; event 1: a grab alone
    source = np.array([a, d])
    inter_event = np.full(truth.inter_kind.size, -1)
    inter_event[[a, b, c]] = 0
    inter_event[d] = 1
    sku, count, visit = truth.event_truth(source, inter_event)
    net = Counter()
    for i in (a, b):
        net[int(truth.inter_sku[i, 0])] += int(truth.inter_count[i, 0])
    assert {int(s): int(n) for s, n in zip(sku[0], count[0], strict=True) if s >= 0} == dict(net)
    assert visit.tolist() == [busy, truth.inter_visit[d]]
    assert sku[1, 0] == truth.inter_sku[d, 0] and count[1, 0] == truth.inter_count[d, 0]
    reviewer = HumanReviewer(
        sku, count, visit, 0.0, np.random.default_rng(0), truth.event_extras(source, inter_event)
    )
    extra_visit, extra_sku, extra_count = reviewer.extras(np.array([0]))
    assert extra_visit.tolist() == [truth.inter_visit[c]]
    assert extra_sku.tolist() == [truth.inter_sku[c, 0]] and extra_count.tolist() == [truth.inter_count[c, 0]]
    assert reviewer.extras(np.array([1]))[0].size == 0
    # a reviewer who rubber-stamps the machine's proposal reports nothing more
    slipping = HumanReviewer(
        sku, count, visit, 1.0, np.random.default_rng(0), truth.event_extras(source, inter_event)
    )
    assert slipping.extras(np.array([0]))[0].size == 0
