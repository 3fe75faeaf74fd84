"""A user's sensor, recognizer and design, outside toolkit/: the README's plugin example.

Sensor: a time-of-flight counter at each plate's front that counts the facings, so each shelf
event gets the change in units on its plate (miscounted by one now and then, sometimes missed).
Recognizer: how likely each hypothesis makes that count. Design: a rule-based reader of the
counter alone, charging the plate's own product to the nearest shopper the cameras saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from toolkit.recognizers import BaseRecognizer, EventBatch, Evidence
from toolkit.sensors import BaseSensor, Sensed
from toolkit.systems import BasketOutput


@dataclass(frozen=True)
class FacingCounts:
    """Per detected event: units that left the plate by the counter (NaN: not counted)."""

    units_taken: np.ndarray


class FacingCounter(BaseSensor):
    per_event = True

    def __init__(self, p_miscount: float, p_missing: float, price_per_plate: float, power_w: float) -> None:
        if not 0.0 <= p_miscount <= 1.0:
            raise ValueError(f"p_miscount must be in [0, 1], got {p_miscount}")
        self.p_miscount, self.p_missing = p_miscount, p_missing
        self.price_per_plate, self.power_w = price_per_plate, power_w

    def observe(self, ctx, rng):
        sku, count, _ = ctx.truth.event_truth(ctx.source, ctx.inter_event)
        taken = np.where(sku >= 0, count, 0).sum(axis=1).astype(float)
        taken += np.where(rng.random(taken.size) < self.p_miscount, rng.choice([-1.0, 1.0], taken.size), 0.0)
        taken[rng.random(taken.size) < self.p_missing] = np.nan
        return Sensed(FacingCounts(units_taken=taken))

    def hardware(self, store, prices):
        return {"facing_counters": (store.n_plates * self.price_per_plate, store.n_plates * self.power_w)}

    def synthetic(self, world, hypotheses, rng, p_missing):
        pick = np.argmax(np.where(hypotheses.valid, rng.random(hypotheses.valid.shape), -1.0), axis=1)
        rows = np.arange(pick.size)
        taken = np.where(hypotheses.sku[rows, pick] >= 0, hypotheses.count[rows, pick], 0).sum(axis=1)
        taken = taken.astype(float)
        taken[rng.random(taken.size) < p_missing] = np.nan
        return FacingCounts(units_taken=taken)


class FacingsRecognizer(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"facings"})

    def __init__(self, p_miscount: float = 0.05) -> None:
        self.p_miscount = p_miscount

    def evidence(self, batch: EventBatch) -> Evidence:
        hyps, counted = batch.hypotheses, batch.readings["facings"].units_taken
        expected = np.where(hyps.sku >= 0, hyps.count, 0).sum(axis=-1)
        match = np.where(expected == counted[:, None], 1.0 - self.p_miscount, self.p_miscount / 2)
        loglik = np.where(np.isfinite(counted)[:, None], np.log(match), 0.0)
        return Evidence(loglik=np.where(hyps.valid, loglik, -np.inf), source="facings")


class FacingCounterDesign:
    """Each event: the plate's best-stocked product times the counted units, on the receipt of the
    shopper the cameras place nearest the plate."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def signals(self) -> frozenset[str]:
        return frozenset({"facings"})

    @property
    def sensors(self) -> frozenset[str]:
        return frozenset({"facings", "loadcell", "camera"})

    def prepare(self, world, seed):
        """Nothing to learn."""

    def run(self, world, space, obs, reviewer):
        events, counted = obs.events, obs.readings["facings"].units_taken
        plano = world.planogram
        stocked = (plano.slot_sku >= 0) & (plano.slot_stock > 0)
        stock = np.zeros((plano.n_plates, world.catalog.n_skus))
        np.add.at(stock, (plano.slot_plate[stocked], plano.slot_sku[stocked]), plano.slot_stock[stocked])
        sku = np.argmax(stock[events.plate], axis=1)
        plate_pos = plano.plate_offset_m[events.plate]
        distance = np.abs(obs.presence.candidate_pos_m - plate_pos[:, None])
        nearest = np.argmin(np.where(obs.presence.candidate_visit >= 0, distance, np.inf), axis=1)
        visit = obs.presence.candidate_visit[np.arange(events.n_events), nearest]
        seen = events.seen_by(self.signals)  # not the events only a mat it does not pay for raised
        units = np.where(np.isfinite(counted) & seen, counted, 0).astype(np.int64)
        n_visits = obs.entry.visit_shopper.shape[0]
        receipts = np.zeros((n_visits, world.catalog.n_skus), np.int64)
        charged = visit >= 0
        np.add.at(receipts, (visit[charged], sku[charged]), units[charged])
        return BasketOutput(np.maximum(receipts, 0), None)
