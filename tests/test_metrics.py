"""Each accuracy metric against a case computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.metrics.accuracy import (
    aurc,
    expected_calibration_error,
    line_scores,
    lines_equal,
    receipt_exact_match,
    revenue_errors,
    risk_coverage,
)

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
