"""Weight recognizer: how well each (sku, count) multiset explains a plate's weight change.

    Δw ~ N(−Σ mᵢ wᵢ, σ_e² + Σ |mᵢ| σᵢ² + σ_x²)          # Gaussian over multisets (Amazon patents
                                                         # US 10,810,540; US 10,332,066)

with wᵢ, σᵢ the catalog unit weight mean and spread, mᵢ the signed count (take > 0), σ_e² the
variance the load cell reports for its reading, and σ_x an optional extra width for model error.

"Nothing moved" (the null hypothesis) is a false event: a hand pressing, a basket bumping the
shelf. Its weight change is whatever the push was, so its likelihood is half a reading of zero and
half spread evenly over ±`false_event_range_g`:

    L(Δw | null) = ½ N(Δw; 0, σ_e² + σ_x²) + ½ / (2 R)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from toolkit.recognizers.base import BaseRecognizer, EventBatch, Evidence
from toolkit.sensors.observations import LoadcellReadings
from toolkit.world import World


class WeightRecognizer(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"loadcell"})

    def __init__(self, extra_sigma_g: float = 0.0, false_event_range_g: float = 2000.0) -> None:
        if extra_sigma_g < 0:
            raise ValueError(f"extra_sigma_g must be >= 0, got {extra_sigma_g}")
        if false_event_range_g <= 0:
            raise ValueError(f"false_event_range_g must be > 0, got {false_event_range_g}")
        self.extra_sigma_g = float(extra_sigma_g)
        self.false_event_range_g = float(false_event_range_g)

    def prepare(self, world: World, rng: np.random.Generator) -> None:
        super().prepare(world, rng)
        self._mean = world.catalog.weight_mean_g
        self._var = world.catalog.weight_std_g**2

    def sharing_key(self) -> tuple[tuple[object, ...], tuple[object, ...]]:
        return (), (self.extra_sigma_g, self.false_event_range_g)

    def expected_change(self, sku: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (g) and product variance (g²) of the weight change of hypotheses (..., 2)."""
        line = sku >= 0
        safe = np.where(line, sku, 0)
        mean = -np.where(line, self._mean[safe] * count, 0.0).sum(axis=-1)
        var = np.where(line, self._var[safe] * np.abs(count), 0.0).sum(axis=-1)
        return mean, var

    def evidence(self, batch: EventBatch) -> Evidence:
        reading: LoadcellReadings = batch.readings["loadcell"]
        hyps = batch.hypotheses
        mean, product_var = self.expected_change(hyps.sku, hyps.count)
        # a reading is evidence only if it is a number with a usable variance (else: missing, flat)
        observed = (
            np.isfinite(reading.delta_g) & np.isfinite(reading.variance_g2) & (reading.variance_g2 >= 0)
        )[:, None]
        reading_var = np.where(observed, reading.variance_g2[:, None], 0.0)
        var = np.maximum(reading_var + product_var + self.extra_sigma_g**2, 1e-9)
        residual = np.where(observed, reading.delta_g[:, None], 0.0) - mean
        loglik = -0.5 * (residual**2 / var + np.log(2.0 * np.pi * var))
        null = (hyps.sku < 0).all(axis=-1)
        pushed = -np.log(2.0 * self.false_event_range_g)
        with np.errstate(under="ignore"):  # a reading far from zero: the push term alone
            loglik = np.where(null, np.logaddexp(loglik, pushed) - np.log(2.0), loglik)
        loglik = np.where(observed, loglik, 0.0)
        return Evidence(loglik=np.where(hyps.valid, loglik, -np.inf), source="weight")
