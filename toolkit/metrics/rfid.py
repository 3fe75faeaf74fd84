"""What the RFID gate physically managed: read rates by packaging material, throughput, stray reads."""

from __future__ import annotations

import numpy as np

from toolkit.sensors.rfid_gate import CARRIED, DISPLAY, OWN, GateTruth
from toolkit.sensors.rfid_shelf import ShelfTruth
from toolkit.world import MATERIALS, Catalog


def gate_metrics(
    gate: GateTruth, catalog: Catalog, n_visits: int, charged_visit: np.ndarray
) -> dict[str, float | None]:
    """Unit read rate overall and per material (a unit is read if one of its tags was read),
    tagging shares, gate throughput (tags singulated per second of reader time), slot efficiency,
    stray reads per pass (display tags and items carried in), and how the decoder assigned the
    reads of basket tags: the share charged to another pass, and the share charged to nobody.
    `charged_visit` is the decoder's pass for each read (-1: dropped)."""
    material = catalog.material[gate.unit_sku]
    out: dict[str, float | None] = {
        "rfid_unit_read_rate": float(gate.unit_read.mean()) if gate.unit_read.size else None,
        "rfid_untagged_share": float((gate.unit_tags == 0).mean()) if gate.unit_tags.size else None,
    }
    for index, name in enumerate(MATERIALS):
        mine = material == index
        out[f"rfid_read_rate_{name}"] = float(gate.unit_read[mine].mean()) if mine.any() else None
    inv = gate.inventory
    busy = float(inv.busy_s.sum())
    out["rfid_gate_tags_per_s"] = float(inv.read.sum() / busy) if busy > 0 else None
    slots = int(inv.empty_slots.sum() + inv.single_slots.sum() + inv.collision_slots.sum())
    # Gen2 slot efficiency: singleton slots per slot (framed slotted ALOHA's optimum is 1/e)
    out["rfid_gate_slot_efficiency"] = float(inv.single_slots.sum() / slots) if slots else None
    kind = gate.entry_kind[gate.read_entry]
    out["rfid_stray_reads_per_pass"] = float(np.isin(kind, (DISPLAY, CARRIED)).sum() / max(n_visits, 1))
    own = kind == OWN
    owner = gate.entry_visit[gate.read_entry][own]
    charged = charged_visit[own]
    out["rfid_wrong_pass_share"] = float(((charged >= 0) & (charged != owner)).mean()) if own.any() else None
    out["rfid_uncharged_read_share"] = float((charged < 0).mean()) if own.any() else None
    carried = kind == CARRIED
    out["rfid_carried_in_charged_per_pass"] = float((charged_visit[carried] >= 0).sum() / max(n_visits, 1))
    return out


def shelf_metrics(shelf: ShelfTruth) -> dict[str, float | None]:
    """Share of bought units (taken, never put back) whose departure the readers declared, and
    phantom departures (a tag that never moved, missed for a run of cycles) per shelf-hour."""
    phantoms = float((shelf.departure_visit < 0).sum())
    shelf_hours = shelf.n_shelves * shelf.open_hours
    bought = shelf.unit_departed[shelf.unit_bought]
    return {
        "rfid_shelf_departure_recall": float(bought.mean()) if bought.size else None,
        "rfid_shelf_phantoms_per_shelf_hour": phantoms / shelf_hours if shelf_hours > 0 else None,
    }
