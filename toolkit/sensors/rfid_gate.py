"""The RFID exit gate: one reader inventories whatever tags are in its read zone.

Each visit walks through the zone on its way out, carrying its basket (after tagging
compliance: some items carry no tag, two tags, or a tag encoding the wrong SKU) and now and then
tagged items it brought in (bought earlier, read again on the way out). Its tags are in the field
from when it enters the zone until the exit gate registers it; tags on displays next to the gate
are in the field whenever the reader runs. Passes that overlap in time share one Gen2
inventory: their tags answer the same Queries and collide in the same slots. Each shopper walks
at their own place across the lane, so a neighbour's tags are as far away as their geometry
puts them. The reader reports EPC, RSSI and time of each read, and nothing about whose they are:
assigning reads to passes is the decoder's job, from the read times and the exit gate's scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import numpy as np
from pydantic import Field

from toolkit.config import (
    Count,
    NonNegative,
    Positive,
    Probability,
    Real,
    Settings,
    Whole,
)
from toolkit.sensors.base import BaseSensor, Hardware, Sensed, SensingContext
from toolkit.sensors.loadcell_stream import merge_windows
from toolkit.sensors.observations import GateSignal, TagReads
from toolkit.sensors.rfid import InventoryResult, LinkBudget, LinkProfile, run_inventory
from toolkit.sensors.tagging import TaggingParams, deployed_budget, tag_cost_per_unit, tag_units
from toolkit.shoppers import GroundTruth
from toolkit.world import MATERIALS, Catalog, World

if TYPE_CHECKING:
    from toolkit.metrics.cost import PriceBook, StoreFacts

OWN, DISPLAY, CARRIED = 0, 1, 2


class GateParams(Settings):
    config_path: ClassVar[str] = "sensor.rfid_gate"

    link_budget: LinkBudget
    link_profile: LinkProfile
    tagging: TaggingParams
    q_initial: Annotated[Whole, Field(ge=0, le=15)]
    q_step: Annotated[Real, Field(ge=0.1, le=0.5)]
    antenna_dwell_s: Positive
    gate_width_m: Positive
    zone_depth_m: Positive
    basket_spread_m: NonNegative
    p_body_shadowed: Probability
    display_tags: Count
    display_distance_m: Positive
    lane_spread_m: NonNegative
    speed_spread: NonNegative
    rssi_noise_db: NonNegative
    carried_in_per_visit: NonNegative
    p_carried_in_listed: Probability


@dataclass(frozen=True)
class GateTruth:
    """Truth side of the gate (for metrics only): per basket unit, its SKU, tagging and whether
    one of its tags was read; per tag in the field, whose it was (visit, -1 for display tags) and
    its origin (a basket's, a display's, carried in); per read, which of those tags it was; the
    inventory's time and slot counts."""

    unit_sku: np.ndarray
    unit_tags: np.ndarray
    unit_read: np.ndarray
    inventory: InventoryResult
    entry_origin: np.ndarray
    entry_visit: np.ndarray
    read_entry: np.ndarray


def _units(basket: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    visit, sku = np.nonzero(basket)
    n = basket[visit, sku]
    return np.repeat(visit, n), np.repeat(sku, n)


def reader_sessions(enter_s: np.ndarray, leave_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group passes whose time in the zone overlaps into reader sessions (the reader runs while
    anyone is in its field): each pass's session, and each session's start and end."""
    _, start, end = merge_windows(np.zeros(enter_s.size, dtype=np.int64), enter_s, leave_s)
    return np.searchsorted(start, enter_s, side="right") - 1, start, end


def simulate_gate(
    world: World, truth: GroundTruth, params: GateParams, walking_speed_mps: float, rng: np.random.Generator
) -> tuple[GateSignal, GateTruth]:
    """What the gate's reader reads during the day, and the store's list of EPCs in stock."""
    cat = world.catalog
    n_visits = truth.n_visits
    unit_visit, unit_sku = _units(truth.basket)
    n_units = unit_visit.size

    # tagging compliance: untagged, double-tagged, mis-encoded
    unit_tags, tag_unit, tag_sku = tag_units(unit_sku, params.tagging, cat.n_skus, rng)
    n_tags = tag_unit.size
    # tagged items carried in: bought earlier, mostly marked sold in the store's EPC list
    n_carried = rng.poisson(params.carried_in_per_visit, n_visits)
    carried_visit = np.repeat(np.arange(n_visits), n_carried)
    carried_sku = rng.integers(cat.n_skus, size=carried_visit.size)
    carried_listed = rng.random(carried_visit.size) < params.p_carried_in_listed
    display_sku = rng.integers(cat.n_skus, size=params.display_tags)

    # passes: in the zone from entering it until the exit gate; overlapping passes share a session
    speed = walking_speed_mps * np.exp(params.speed_spread * rng.standard_normal(n_visits))
    leave = truth.visit_exit_s
    enter = leave - params.zone_depth_m / speed
    session, s_start, s_end = reader_sessions(enter, leave)
    n_sessions = s_start.size

    # every tag in the field, session by session: own, carried-in, display (in every session)
    bag_visit = np.r_[unit_visit[tag_unit], carried_visit]
    bag_sku = np.r_[tag_sku, carried_sku]
    bag_material = cat.material[np.r_[unit_sku[tag_unit], carried_sku]]
    bag_origin = np.r_[np.full(n_tags, OWN), np.full(carried_visit.size, CARRIED)]
    bag_shadowed = np.r_[
        (rng.random(n_units) < params.p_body_shadowed)[tag_unit],
        rng.random(carried_visit.size) < params.p_body_shadowed,
    ]
    bag_tags = np.bincount(bag_visit, minlength=n_visits)
    # where each shopper walks across the lane, and each item around them
    half = params.gate_width_m / 2.0
    lane = half + params.lane_spread_m * rng.standard_normal(n_visits)
    across = lane[bag_visit] + params.basket_spread_m * rng.standard_normal(bag_visit.size)
    bag_distance = np.clip(np.minimum(across, params.gate_width_m - across), 0.1, half)

    display_session = np.repeat(np.arange(n_sessions), params.display_tags)
    display_index = np.tile(np.arange(params.display_tags), n_sessions)
    entry_session = np.r_[session[bag_visit], display_session]
    entry_visit = np.r_[bag_visit, np.full(display_session.size, -1)]
    # EPC serials carry no order: nothing in a number says whose tag it is or what kind
    serial = rng.permutation(bag_visit.size + params.display_tags)
    entry_epc = serial[np.r_[np.arange(bag_visit.size), bag_visit.size + display_index]]
    entry_sku = np.r_[bag_sku, display_sku[display_index]]
    entry_origin = np.r_[bag_origin, np.full(display_session.size, DISPLAY)]
    material = np.r_[bag_material, cat.material[display_sku[display_index]]]
    distance = np.r_[bag_distance, np.full(display_session.size, params.display_distance_m)]
    body = np.r_[bag_shadowed, np.zeros(display_session.size, bool)]
    nearby = np.r_[bag_tags[bag_visit], np.full(display_session.size, params.display_tags)]
    window_enter = np.r_[enter[bag_visit] - s_start[session[bag_visit]], np.zeros(display_session.size)]
    window_leave = np.r_[leave[bag_visit] - s_start[session[bag_visit]], (s_end - s_start)[display_session]]
    cos_theta = rng.uniform(-1.0, 1.0, entry_session.size)
    margin = deployed_budget(params.tagging, params.link_budget).margin_db(
        distance, material, cos_theta, body, nearby
    )

    inventory = run_inventory(
        entry_session,
        margin,
        s_end - s_start,
        params.link_profile,
        params.link_budget.fading_sigma_db,
        params.antenna_dwell_s,
        params.q_initial,
        params.q_step,
        rng,
        window_s=(window_enter, window_leave),
    )
    got = np.flatnonzero(inventory.read)
    read_time = s_start[entry_session[got]] + inventory.read_time_s[got]
    order = got[np.argsort(read_time, kind="stable")]
    reads = TagReads(
        epc=entry_epc[order],
        sku=entry_sku[order],
        rssi_db=inventory.read_margin_db[order] + params.rssi_noise_db * rng.standard_normal(order.size),
        time_s=s_start[entry_session[order]] + inventory.read_time_s[order],
    )
    # the store's EPC list: everything it tagged for stock, and carried-in items it failed to mark sold
    in_stock = np.sort(
        serial[
            np.r_[
                np.arange(n_tags),
                n_tags + np.flatnonzero(carried_listed),
                bag_visit.size + np.arange(params.display_tags),
            ]
        ]
    )
    own_read = inventory.read[:n_tags]
    unit_read = np.bincount(tag_unit[own_read], minlength=n_units) > 0
    return GateSignal(reads=reads, stock_epc=in_stock), GateTruth(
        unit_sku, unit_tags, unit_read, inventory, entry_origin, entry_visit, order
    )


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
    origin = gate.entry_origin[gate.read_entry]
    out["rfid_stray_reads_per_pass"] = float(np.isin(origin, (DISPLAY, CARRIED)).sum() / max(n_visits, 1))
    own = origin == OWN
    owner = gate.entry_visit[gate.read_entry][own]
    charged = charged_visit[own]
    out["rfid_wrong_pass_share"] = float(((charged >= 0) & (charged != owner)).mean()) if own.any() else None
    out["rfid_uncharged_read_share"] = float((charged < 0).mean()) if own.any() else None
    carried = origin == CARRIED
    out["rfid_carried_in_charged_per_pass"] = float((charged_visit[carried] >= 0).sum() / max(n_visits, 1))
    return out


class RfidGate(BaseSensor):
    """One UHF reader with its antennas at the exit: the EPCs it singulates while shoppers pass,
    and the store's EPC stock list. Every stocked unit carries a tag."""

    def __init__(self, **cfg: Any) -> None:
        self.params = GateParams.from_config(cfg)

    def observe(self, ctx: SensingContext, rng: np.random.Generator) -> Sensed:
        signal, truth = simulate_gate(ctx.world, ctx.truth, self.params, ctx.shoppers.walking_speed_mps, rng)
        return Sensed(signal, truth)

    def hardware(self, store: StoreFacts, prices: PriceBook) -> Hardware:
        antennas = prices.rfid.gate_antennas * prices.rfid.antenna_price
        return {"rfid_gate": (prices.rfid.reader_price + antennas, prices.rfid.reader_power_w)}

    def unit_cost(self, prices: PriceBook) -> np.ndarray:
        return tag_cost_per_unit(prices, self.params.tagging.on_metal)

    def metrics(self, sensed: Sensed, ctx: SensingContext, output: Any) -> dict[str, float | None]:
        charged = getattr(output, "event_visit", None)
        if charged is None:  # a design that does not assign the gate's reads to passes
            charged = np.full(sensed.truth.read_entry.size, -1)
        return gate_metrics(sensed.truth, ctx.world.catalog, ctx.truth.n_visits, charged)
