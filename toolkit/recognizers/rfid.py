"""RFID gate decoding: from the tags read during each pass to a receipt.

Basket-level evidence: the receipt is the set of distinct EPCs read in a visit's pass, counted
per SKU, after two reconciliations every deployed gate makes:

* a tag read in `static_passes` or more passes in the day is not leaving (a display next to the
  gate) and is dropped everywhere;
* a tag read in several passes left once: it goes to the pass where it was read loudest.

Reads weaker than `min_rssi_db` are ignored (the gate's RSSI floor against stray reads).
"""

from __future__ import annotations

import numpy as np

from toolkit.sensors.observations import TagReads


class RfidGateDecoder:
    signals = frozenset({"rfid_gate"})

    def __init__(self, static_passes: int = 3, min_rssi_db: float = 0.0) -> None:
        if static_passes < 2:
            raise ValueError(f"static_passes must be >= 2, got {static_passes}")
        self.static_passes = int(static_passes)
        self.min_rssi_db = float(min_rssi_db)

    def receipts(self, reads: TagReads, n_visits: int, n_skus: int) -> np.ndarray:
        keep = reads.rssi_db >= self.min_rssi_db
        visit, epc, sku, rssi = reads.pass_visit[keep], reads.epc[keep], reads.sku[keep], reads.rssi_db[keep]
        # one row per (epc, pass), keeping the loudest read of that pass
        order = np.lexsort((-rssi, visit, epc))
        visit, epc, sku, rssi = visit[order], epc[order], sku[order], rssi[order]
        first = np.r_[True, (epc[1:] != epc[:-1]) | (visit[1:] != visit[:-1])]
        visit, epc, sku, rssi = visit[first], epc[first], sku[first], rssi[first]
        passes_per_epc = np.bincount(epc)[epc]
        moving = passes_per_epc < self.static_passes
        visit, epc, sku, rssi = visit[moving], epc[moving], sku[moving], rssi[moving]
        # a tag leaves once: the loudest of its passes
        order = np.lexsort((-rssi, epc))
        loudest = order[np.r_[True, epc[order][1:] != epc[order][:-1]]]
        carts = np.zeros((n_visits, n_skus), dtype=np.int64)
        np.add.at(carts, (visit[loudest], sku[loudest]), 1)
        return carts
