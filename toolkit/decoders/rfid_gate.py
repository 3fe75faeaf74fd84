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

import numpy as np

from toolkit.sensors.observations import GateSignal, Observations
from toolkit.world import World

_TIME_STRIDE_S = 2.0e5  # longer than a day: (epc, time) packs into one sortable float


class RfidGateDecoder:
    signals = frozenset({"rfid_gate"})
    sensors = frozenset({"rfid_gate"})  # the gate identifies the visit by the exit scan: no cameras

    def __init__(
        self,
        static_passes: int = 3,
        min_rssi_db: float = 0.0,
        read_window_s: float = 1.5,
        exit_slack_s: float = 1.0,
    ) -> None:
        if static_passes < 2:
            raise ValueError(f"static_passes must be >= 2, got {static_passes}")
        if read_window_s <= 0 or exit_slack_s < 0:
            raise ValueError(
                f"read_window_s must be > 0 and exit_slack_s >= 0, got {read_window_s}, {exit_slack_s}"
            )
        self.static_passes = int(static_passes)
        self.min_rssi_db = float(min_rssi_db)
        self.read_window_s = float(read_window_s)
        self.exit_slack_s = float(exit_slack_s)

    def decode(self, world: World, obs: Observations) -> tuple[np.ndarray, np.ndarray]:
        """Receipts (V, n_skus) from the day's gate reads, and the pass each read was put down to."""
        return self.receipts(obs.signals["rfid_gate"], obs.entry.visit_exit_s, world.catalog.n_skus)

    def assign(self, read_time_s: np.ndarray, exit_s: np.ndarray) -> np.ndarray:
        """The pass (visit) of each read: among the exits scanned no later than the window and
        the slack after it, the one whose window centre is nearest; -1 if none."""
        order = np.argsort(exit_s, kind="stable")
        sorted_exit = exit_s[order]
        lo = np.searchsorted(sorted_exit, read_time_s, side="left")
        hi = np.searchsorted(sorted_exit, read_time_s + self.read_window_s + self.exit_slack_s, side="right")
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
