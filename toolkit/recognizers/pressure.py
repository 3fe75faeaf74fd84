"""Pressure recognizer: how well each hypothesis explains where on the shelf the load changed.

For products stocked on the event's plate the expected position is their slot centre (weighted by
mass for mixed grabs): x̂ ~ N(μ_h, σ²) with σ² from the slot width, cell pitch and noise. A product
from elsewhere (a misplaced item) or "nothing moved" could be anywhere on the plate: uniform,
log(1 / plate width) — the floor that keeps misplaced items possible.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from toolkit.recognizers.base import BaseRecognizer, EventBatch, Evidence
from toolkit.sensors.observations import PressureReadings
from toolkit.world import World


class PressureRecognizer(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"pressure"})

    def prepare(self, world: World, rng: np.random.Generator) -> None:
        super().prepare(world, rng)
        plano = world.planogram
        self._slot_pos = plano.slot_offset_m[plano.sku_slot]
        self._slot_plate = plano.slot_plate[plano.sku_slot]
        self._mass = world.catalog.weight_mean_g
        self._log_uniform = -np.log(plano.plate_width_m)

    def sharing_key(self) -> tuple[tuple[object, ...], tuple[object, ...]]:
        return (), ()

    def evidence(self, batch: EventBatch) -> Evidence:
        reading: PressureReadings = batch.readings["pressure"]
        hyps = batch.hypotheses
        lines = hyps.sku >= 0
        safe = np.where(lines, hyps.sku, 0)
        here = lines & (self._slot_plate[safe] == batch.events.plate[:, None, None])
        mass = np.where(lines, self._mass[safe] * np.abs(hyps.count), 0.0)
        located = here.any(axis=-1) & (here | ~lines).all(axis=-1)
        mean = (self._slot_pos[safe] * mass).sum(-1) / np.maximum(mass.sum(-1), 1e-9)
        # a position is evidence only with a usable variance (else: missing, flat)
        observed = (
            np.isfinite(reading.position_m) & np.isfinite(reading.variance_m2) & (reading.variance_m2 > 0)
        )[:, None]
        var = np.where(observed, reading.variance_m2[:, None], 1.0)
        position = np.where(observed, reading.position_m[:, None], 0.0)
        gaussian = -0.5 * ((position - mean) ** 2 / var + np.log(2 * np.pi * var))
        loglik = np.where(located, gaussian, self._log_uniform)
        loglik = np.where(observed, loglik, 0.0)
        return Evidence(loglik=np.where(hyps.valid, loglik, -np.inf), source="pressure")
