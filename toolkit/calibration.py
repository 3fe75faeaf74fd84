"""How well confidences match accuracy: the CNN calibrates itself on its own held-out split with
these, and the judge scores each design's posteriors with them. Pure functions of confidences
and right/wrong flags, so either side may use them without touching the other."""

from __future__ import annotations

import numpy as np


def reliability_bins(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width confidence bin: count, summed confidence and number correct."""
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    conf_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    right = np.bincount(bins, weights=correct.astype(float), minlength=n_bins)
    return count, conf_sum, right


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> float:
    """ECE over equal-width confidence bins (Guo et al. 2017): Σ_b (n_b / N) |acc_b − conf_b|."""
    if confidence.size == 0:
        return 0.0
    _, conf_sum, right = reliability_bins(confidence, correct, n_bins)
    return float(np.abs(right - conf_sum).sum() / confidence.size)
