"""The RFID gate's decoder: from the reads of one reader at the exit to a receipt per pass.

The gate's reader reports EPCs with their RSSI and time, not whose they are. The decoder
assigns each read to a pass by the exit gate's scans: a pass's tags are in the field during
the `read_window_s` (zone depth over walking speed) before it reaches the exit gate, whose scan
comes up to `exit_slack_s` later (latency); a read goes to the pass whose window centre is
nearest. Then the reconciliations every deployed gate makes:

* an EPC not in the store's stock list (bought earlier, carried in) is not for sale here;
* a tag read in `static_passes` or more passes in the day is not leaving (a display next to the
  gate) and is dropped everywhere;
* a tag read in several passes left once: it goes to the pass where it was read loudest.

Reads weaker than `min_rssi_db` are ignored (the gate's RSSI floor against stray reads).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field

from toolkit.config import NonNegative, Positive, Real, Settings, Whole
from toolkit.sensors.observations import GateSignal, Observations
from toolkit.world import World


class RfidGateDecoder(Settings):
    """Its settings are the `system.rfid_gate.decoder` section (values and sources in the YAML)."""

    config_path: ClassVar[str] = "system.rfid_gate.decoder"
    signals: ClassVar[frozenset[str]] = frozenset({"rfid_gate"})
    # the gate identifies the visit by the exit scan: no cameras
    sensors: ClassVar[frozenset[str]] = frozenset({"rfid_gate"})

    static_passes: Annotated[Whole, Field(ge=2)]
    min_rssi_db: Real
    read_window_s: Positive
    exit_slack_s: NonNegative

    def decode(self, world: World, obs: Observations) -> tuple[np.ndarray, np.ndarray]:
        """Receipts (V, n_skus) from the day's gate reads, and the pass each read was put down to."""
        return self.receipts(obs.readings["rfid_gate"], obs.entry.visit_exit_s, world.catalog.n_skus)

    def doubt(self, world: World, obs: Observations) -> np.ndarray:
        """Per pass, how many of the reads charged to it could have been another pass's (their
        read window held more than one exit): the passes whose receipts are guesses."""
        reads, exit_s = obs.readings["rfid_gate"].reads, obs.entry.visit_exit_s
        _, charged = self.receipts(obs.readings["rfid_gate"], exit_s, world.catalog.n_skus)
        lo, hi = self._window(reads.time_s, exit_s)
        shared = (charged >= 0) & (hi - lo > 1)
        return np.bincount(charged[shared], minlength=exit_s.shape[0]).astype(float)

    def _window(self, read_time_s: np.ndarray, exit_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each read, the range [lo, hi) of exits (in time order) scanned no later than the
        read window and the slack after it."""
        sorted_exit = np.sort(exit_s, kind="stable")
        lo = np.searchsorted(sorted_exit, read_time_s, side="left")
        hi = np.searchsorted(sorted_exit, read_time_s + self.read_window_s + self.exit_slack_s, side="right")
        return lo, hi

    def assign(self, read_time_s: np.ndarray, exit_s: np.ndarray) -> np.ndarray:
        """The pass (visit) of each read: among the exits scanned no later than the window and
        the slack after it, the one whose window centre is nearest; -1 if none."""
        order = np.argsort(exit_s, kind="stable")
        sorted_exit = exit_s[order]
        lo, hi = self._window(read_time_s, exit_s)
        width = int((hi - lo).max(initial=0))
        if width == 0 or order.size == 0:
            return np.full(read_time_s.size, -1)
        idx = lo[:, None] + np.arange(width)
        valid = idx < hi[:, None]
        centre = sorted_exit[np.minimum(idx, order.size - 1)] - 0.5 * (self.read_window_s + self.exit_slack_s)
        gap = np.where(valid, np.abs(centre - read_time_s[:, None]), np.inf)
        best = np.argmin(gap, axis=1)
        found = valid[np.arange(best.size), best]
        return np.where(found, order[np.minimum(lo + best, order.size - 1)], -1)

    def receipts(self, signal: GateSignal, exit_s: np.ndarray, n_skus: int) -> tuple[np.ndarray, np.ndarray]:
        """Receipts (V, n_skus) and each read's pass after the reconciliations (-1: dropped)."""
        reads = signal.reads
        read_visit = self.assign(reads.time_s, exit_s)
        keep = np.flatnonzero(
            (reads.rssi_db >= self.min_rssi_db) & np.isin(reads.epc, signal.stock_epc) & (read_visit >= 0)
        )
        visit, epc, sku, rssi = read_visit[keep], reads.epc[keep], reads.sku[keep], reads.rssi_db[keep]
        # one row per (epc, pass), keeping the loudest read of that pass
        order = np.lexsort((-rssi, visit, epc))
        first = order[
            np.r_[True, (epc[order][1:] != epc[order][:-1]) | (visit[order][1:] != visit[order][:-1])]
        ]
        passes_per_epc = np.bincount(epc[first], minlength=int(epc.max(initial=-1)) + 1)
        moving = first[passes_per_epc[epc[first]] < self.static_passes]
        # a tag leaves once: the loudest of its passes
        order = moving[np.lexsort((-rssi[moving], epc[moving]))]
        loudest = order[np.r_[True, epc[order][1:] != epc[order][:-1]]] if order.size else order
        carts = np.zeros((exit_s.shape[0], n_skus), dtype=np.int64)
        np.add.at(carts, (visit[loudest], sku[loudest]), 1)
        charged = np.full(reads.epc.size, -1)
        charged[keep[loudest]] = visit[loudest]
        return carts, charged
