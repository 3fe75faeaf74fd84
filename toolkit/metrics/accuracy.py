"""Accuracy metrics, as defined in docs/metrics.md. Pure functions over arrays; each is tested by hand.

Receipts are (V, n_skus) unit counts; event decisions are canonical two-line arrays (E, 2).
"""

from __future__ import annotations

import numpy as np


def _ratio(numerator: float, denominator: float, empty: float) -> float:
    return float(numerator / denominator) if denominator else empty


def receipt_exact_match(pred: np.ndarray, true: np.ndarray) -> float:
    """Share of visits whose receipt equals the true basket exactly (RPC's cAcc)."""
    if true.shape[0] == 0:
        return 1.0
    return float(np.mean(np.all(pred == true, axis=1)))


def line_scores(pred: np.ndarray, true: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 over receipt lines (visit, SKU, count).

    A predicted line is right only if the true basket has the same SKU with the same count. With no
    predicted lines precision is 1 if there were no true lines either, else 0 (and so for recall).
    """
    n_pred, n_true = int((pred > 0).sum()), int((true > 0).sum())
    hits = int(((pred == true) & (true > 0)).sum())
    precision = _ratio(hits, n_pred, 1.0 if n_true == 0 else 0.0)
    recall = _ratio(hits, n_true, 1.0 if n_pred == 0 else 0.0)
    f1 = _ratio(2 * precision * recall, precision + recall, 0.0)
    return precision, recall, f1


def revenue_errors(pred: np.ndarray, true: np.ndarray, price: np.ndarray) -> dict[str, float | None]:
    """Over- and under-charge as shares of true revenue; revenue_error is their sum."""
    diff = (pred - true) * price[None, :]
    revenue = float((true * price[None, :]).sum())
    over, under = float(diff[diff > 0].sum()), float(-diff[diff < 0].sum())
    return {
        "revenue_error": _share_of(over + under, revenue),
        "overcharge": _share_of(over, revenue),
        "undercharge": _share_of(under, revenue),
    }


def _share_of(amount: float, revenue: float) -> float | None:
    """`amount` as a share of revenue; with no revenue, 0 if nothing is wrong and else undefined
    (None, null in metrics.json), never an infinite or NaN metric."""
    if revenue:
        return float(amount / revenue)
    return 0.0 if amount == 0 else None


def lines_equal(sku_a: np.ndarray, count_a: np.ndarray, sku_b: np.ndarray, count_b: np.ndarray) -> np.ndarray:
    """Per event: do two canonical decisions (E, 2) name the same SKUs and signed counts?"""
    return np.all((sku_a == sku_b) & (count_a == count_b), axis=1)


def risk_coverage(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage k/N and selective risk (error rate of the k most confident) for k = 1..N."""
    order = np.argsort(-confidence, kind="stable")
    errors = np.cumsum(~correct[order].astype(bool))
    k = np.arange(1, confidence.size + 1)
    return k / max(confidence.size, 1), errors / k


def aurc(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Area under the risk–coverage curve (Geifman & El-Yaniv 2017): mean selective risk over k."""
    if confidence.size == 0:
        return 0.0
    return float(risk_coverage(confidence, correct)[1].mean())
