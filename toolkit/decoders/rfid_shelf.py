"""The smart shelves' decoder: from tag departures and reappearances to a receipt per visit."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from toolkit.config import NonNegative, Positive, Settings
from toolkit.fusion import attribute
from toolkit.sensors.observations import DEPART, KEY_STRIDE_S, REAPPEAR, Observations, ShelfReaderSignal
from toolkit.world import World


class RfidShelfDecoder(Settings):
    """Smart-shelf decoding: a tag that left a plate goes on the cart of the shopper the cameras
    place at the plate when it went; it comes off again if the tag is read on any shelf before that
    shopper leaves the store (put back, possibly on the wrong shelf)."""

    config_path: ClassVar[str] = "system.rfid_shelf.decoder"
    signals: ClassVar[frozenset[str]] = frozenset({"rfid_shelf"})
    sensors: ClassVar[frozenset[str]] = frozenset({"rfid_shelf", "camera"})  # cameras say who stood there

    attribution_sigma_m: Positive
    exit_grace_s: NonNegative

    def decode(self, world: World, obs: Observations) -> tuple[np.ndarray, np.ndarray]:
        """Receipts (V, n_skus) from the day's shelf-reader events, and the visit each event is put
        down to."""
        signal = obs.readings["rfid_shelf"]
        visit = self.event_visits(signal, world.planogram.plate_offset_m)
        return self.receipts(signal, visit, obs.entry.visit_exit_s, world.catalog.n_skus), visit

    def doubt(self, world: World, obs: Observations) -> np.ndarray:
        """Per visit, how unsure the cameras were of who took its items: the summed −log
        attribution posterior of the departures its receipt charges."""
        signal, exit_s = obs.readings["rfid_shelf"], obs.entry.visit_exit_s
        plate_pos = world.planogram.plate_offset_m[signal.events.plate]
        visit, confidence = attribute(signal.presence, plate_pos, self.attribution_sigma_m)
        kept = self.kept(signal, visit, exit_s)
        surprise = -np.log(np.clip(confidence[kept], 1e-12, 1.0))
        return np.bincount(visit[kept], weights=surprise, minlength=exit_s.shape[0])

    def event_visits(self, signal: ShelfReaderSignal, plate_pos_m: np.ndarray) -> np.ndarray:
        """Departures: the shopper the cameras place at the plate; reappearances: the shopper of the
        same tag's latest earlier departure (-1 if none)."""
        events = signal.events
        visit, _ = attribute(signal.presence, plate_pos_m[events.plate], self.attribution_sigma_m)
        depart = np.flatnonzero(events.change == DEPART)
        back = np.flatnonzero(events.change == REAPPEAR)
        dep_key = events.epc[depart] * KEY_STRIDE_S + events.time_s[depart]
        order = np.argsort(dep_key, kind="stable")
        before = np.searchsorted(dep_key[order], events.epc[back] * KEY_STRIDE_S + events.time_s[back]) - 1
        prior = depart[order][np.maximum(before, 0)] if depart.size else np.zeros(back.size, dtype=np.int64)
        known = (
            (before >= 0) & (events.epc[prior] == events.epc[back])
            if depart.size
            else np.zeros(back.size, bool)
        )
        out = visit.copy()
        out[back] = np.where(known, visit[prior], -1)
        return out

    def receipts(
        self, signal: ShelfReaderSignal, visit: np.ndarray, exit_s: np.ndarray, n_skus: int
    ) -> np.ndarray:
        """A departure stays on its shopper's receipt unless the tag reappears before they leave."""
        events = signal.events
        kept = self.kept(signal, visit, exit_s)
        carts = np.zeros((exit_s.shape[0], n_skus), dtype=np.int64)
        np.add.at(carts, (visit[kept], events.sku[kept]), 1)
        return carts

    def kept(self, signal: ShelfReaderSignal, visit: np.ndarray, exit_s: np.ndarray) -> np.ndarray:
        """The departures a receipt charges: put down to a visit, and not back on a shelf before
        that shopper left."""
        events = signal.events
        depart = np.flatnonzero((events.change == DEPART) & (visit >= 0))
        back = np.flatnonzero(events.change == REAPPEAR)
        back_key = np.sort(events.epc[back] * KEY_STRIDE_S + events.time_s[back])
        nxt = np.searchsorted(
            back_key, events.epc[depart] * KEY_STRIDE_S + events.time_s[depart], side="right"
        )
        nxt_key = back_key[np.minimum(nxt, back_key.size - 1)] if back_key.size else np.zeros(depart.size)
        same_tag = (nxt < back_key.size) & (np.floor(nxt_key / KEY_STRIDE_S) == events.epc[depart])
        first_after = np.where(same_tag, nxt_key - events.epc[depart] * KEY_STRIDE_S, np.inf)
        returned = first_after <= exit_s[visit[depart]] + self.exit_grace_s
        return depart[~returned]
