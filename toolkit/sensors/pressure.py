"""Pressure mats under the shelf plates: where along the shelf the load changed.

The mat is a row of cells of pitch `cell_pitch_m`; an item taken from (or put onto) a facing
changes the pressure around its footprint, somewhere across its slot's width. The mat reports
the centre of that change, quantised to its cells, with noise; several items lifted at once report
their weight-weighted centre. A false event (a hand pressing) is wherever the hand was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from toolkit.config import (
    NonNegative,
    Positive,
    Probability,
    Settings,
)
from toolkit.hypotheses import EventHypotheses
from toolkit.sensors.base import BaseSensor, Hardware, Sensed, SensingContext
from toolkit.sensors.observations import PressureReadings, ShelfEvents
from toolkit.sensors.synthetic import SYNTHETIC_READINGS
from toolkit.shoppers import GroundTruth
from toolkit.world import World

if TYPE_CHECKING:
    from toolkit.metrics.cost import PriceBook, StoreFacts


class PressureParams(Settings):
    config_path: ClassVar[str] = "sensor.pressure"

    cell_pitch_m: Positive
    noise_m: NonNegative
    p_missing: Probability
    trigger_hz: Positive
    trigger_merge_s: NonNegative

    def variance_m2(self, slot_width_m: float) -> float:
        """Spread of a reading around its slot's centre: facing position, cell quantisation, noise."""
        return slot_width_m**2 / 12.0 + self.cell_pitch_m**2 / 12.0 + self.noise_m**2


def observe_pressure(
    world: World,
    truth: GroundTruth,
    events: ShelfEvents,
    source: np.ndarray,
    params: PressureParams,
    rng: np.random.Generator,
    inter_event: np.ndarray | None = None,
) -> PressureReadings:
    """Where each detected event changed the load along its shelf (source -1: a false event)."""
    plano, cat = world.planogram, world.catalog
    n = events.n_events
    real = source >= 0
    sku, count = truth.event_truth(source, inter_event)[:2]
    lines = sku >= 0
    safe = np.where(lines, sku, 0)
    home = plano.slot_offset_m[plano.sku_slot[safe]]
    # an item put back onto a plate that does not stock it lands anywhere on that plate
    on_plate = plano.slot_plate[plano.sku_slot[safe]] == events.plate[:, None]
    left_edge = plano.plate_offset_m[events.plate] - plano.plate_width_m / 2
    anywhere = left_edge[:, None] + rng.uniform(0.0, plano.plate_width_m, sku.shape)
    facing = rng.uniform(-0.5, 0.5, sku.shape) * plano.slot_width_m
    where = np.where(on_plate, home + facing, anywhere)
    mass = np.where(lines, cat.weight_mean_g[safe] * np.abs(count), 0.0)
    centre = (where * mass).sum(axis=1) / np.maximum(mass.sum(axis=1), 1e-9)
    hand = left_edge + rng.uniform(0.0, plano.plate_width_m, n)
    position = np.where(real & (mass.sum(axis=1) > 0), centre, hand)
    position = np.round(position / params.cell_pitch_m) * params.cell_pitch_m
    position = position + params.noise_m * rng.standard_normal(n)
    position = np.where(rng.random(n) < params.p_missing, np.nan, position)
    return PressureReadings(
        position_m=position, variance_m2=np.full(n, params.variance_m2(plano.slot_width_m))
    )


class PressureMats(BaseSensor):
    """Pressure mats under every plate: per event, where along the shelf the load changed. Where a
    load cell is dead the mat's own scan raises the event (`trigger_hz`, `trigger_merge_s`)."""

    per_event = True

    def __init__(self, **cfg: Any) -> None:
        self.params = PressureParams.from_config(cfg)

    def observe(self, ctx: SensingContext, rng: np.random.Generator) -> Sensed:
        return Sensed(
            observe_pressure(ctx.world, ctx.truth, ctx.events, ctx.source, self.params, rng, ctx.inter_event)
        )

    def hardware(self, store: StoreFacts, prices: PriceBook) -> Hardware:
        return {"pressure_mats": (store.shelf_metres * prices.pressure_mat.price_per_shelf_m, 0.0)}

    def synthetic(
        self, world: World, hypotheses: EventHypotheses, rng: np.random.Generator, p_missing: float
    ) -> PressureReadings:
        return SYNTHETIC_READINGS["pressure"](world, hypotheses, rng, p_missing)
