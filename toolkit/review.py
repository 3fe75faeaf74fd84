"""The human reviewer: doubtful events go to a person who watches the footage.

The reviewer sees what happened (they watch the video), so this model is built from the truth by
the experiment and handed to systems as an opaque service. With probability `error_rate` the
reviewer rubber-stamps the machine's proposal instead (automation bias); otherwise they return the
true lines and shopper, and everything else the event stands for (a second grab merged into it,
another shopper's part): `extras`. The slip draw is per event and shared by all systems (common
random numbers).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from toolkit.config import Probability, Settings


class ReviewSettings(Settings):
    """The `review` section."""

    config_path: ClassVar[str] = "review"

    error_rate: Probability  # reviews that rubber-stamp the machine's proposal


class HumanReviewer:
    def __init__(
        self,
        true_sku: np.ndarray,
        true_count: np.ndarray,
        true_visit: np.ndarray,
        error_rate: float,
        rng: np.random.Generator,
        extras: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"review.error_rate must be in [0, 1], got {error_rate}")
        self._sku, self._count, self._visit = true_sku, true_count, true_visit
        self._slips = rng.random(true_visit.shape[0]) < error_rate
        empty = np.zeros(0, dtype=np.int64)
        self._extra_event, self._extra_visit, self._extra_sku, self._extra_count = extras or (empty,) * 4

    def review(
        self,
        events: np.ndarray,
        proposed_sku: np.ndarray,
        proposed_count: np.ndarray,
        proposed_visit: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lines (n, 2), counts (n, 2) and visit (n,) for the events sent to review."""
        slip = self._slips[events]
        sku = np.where(slip[:, None], proposed_sku, self._sku[events])
        count = np.where(slip[:, None], proposed_count, self._count[events])
        visit = np.where(slip, proposed_visit, self._visit[events])
        return sku, count, visit

    def extras(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Visit, SKU and count of what the reviewed `events` moved beyond their main lines (none
        where the reviewer slipped)."""
        told = np.zeros(self._slips.size, dtype=bool)
        told[events] = ~self._slips[events]
        rows = told[self._extra_event]
        return self._extra_visit[rows], self._extra_sku[rows], self._extra_count[rows]
