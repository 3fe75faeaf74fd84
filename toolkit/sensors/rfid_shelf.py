"""Smart RFID shelves: an antenna under each plate inventories its tags every cycle.

A tag is read in a cycle with probability p = Φ(margin / σ_fade), its link margin set by the shelf
antenna's distance, the packaging, the tag's orientation and the crowd of tags stacked on the
plate (rfid.py). The readers report:

* departures: a tag seen on the plate within the presence window, then not read for a run of
  cycles long enough that a tag that never moved would miss it with probability α per cycle
  (the middleware knows each tag's read rate from its history; at least absence_s);
* reappearances: a tag read on a plate again (put back, or onto another shelf: misplaced).

Two things no reader avoids: a tag rarely read on its plate (metal, foil, dense stacks) is never
known to be there, so its departure goes unseen; and a run of missed cycles of a tag that never
moved can still look like a departure (a phantom, at rate α per cycle), followed by a
reappearance once it is read again.
What the shelves cannot see is who took the tag: attribution borrows the ceiling cameras.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

import numpy as np
from pydantic import Field, model_validator
from scipy.special import ndtr

from toolkit.config import (
    Positive,
    Real,
    Settings,
)
from toolkit.metrics.data_yield import Capture, interaction_capture
from toolkit.sensors.base import BaseSensor, Hardware, Sensed, SensingContext
from toolkit.sensors.observations import DEPART, REAPPEAR, ShelfEvents, ShelfReaderSignal, ShelfTagEvents
from toolkit.sensors.presence import PresenceParams, presence_at
from toolkit.sensors.rfid import LinkBudget
from toolkit.sensors.tagging import TaggingParams, deployed_budget, tag_cost_per_unit, tag_units
from toolkit.shoppers import PUTBACK, TAKE, GroundTruth
from toolkit.tracking import presence_from_tracks
from toolkit.world import World

if TYPE_CHECKING:
    from toolkit.metrics.cost import PriceBook, StoreFacts

_NEVER = 1.0e9  # a time after any store-day


class ShelfReaderParams(Settings):
    config_path: ClassVar[str] = "sensor.rfid_shelf"

    link_budget: LinkBudget
    tagging: TaggingParams
    antenna_distance_m: Positive
    cycle_s: Positive
    absence_s: Positive
    false_alarm_per_cycle: Annotated[Real, Field(gt=0.0, le=1.0)]
    presence_window_s: Positive

    @model_validator(mode="after")
    def _at_least_a_cycle(self) -> Self:
        if self.absence_s < self.cycle_s:
            raise ValueError(
                f"absence_s: must be at least one cycle ({self.cycle_s} s), got {self.absence_s}"
            )
        return self


@dataclass(frozen=True)
class ShelfTruth:
    """Truth side, for metrics: for each unit taken from a shelf, whether a departure of one of its
    tags was declared and whether it left the store (never put back); for each declared departure,
    the visit that really caused it (-1: phantom)."""

    unit_departed: np.ndarray
    unit_bought: np.ndarray
    event_interaction: np.ndarray  # per reported event: the take or put-back behind it (-1: phantom)
    departure_visit: np.ndarray
    open_hours: float
    n_shelves: int


def _read_probability(
    params: ShelfReaderParams, material: np.ndarray, nearby: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Per-cycle read probability of `n` tags lying on plates, each at a random orientation."""
    margin = deployed_budget(params.tagging, params.link_budget).margin_db(
        np.full(n, params.antenna_distance_m), material, rng.uniform(-1.0, 1.0, n), np.zeros(n, bool), nearby
    )
    sigma = max(params.link_budget.fading_sigma_db, 1e-9)
    return ndtr(margin / sigma)


def _cycles_until_read(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Inventory cycles until a tag of per-cycle read probability p is read (inf if never)."""
    safe = np.clip(p, 1e-12, 1.0)
    return np.where(p > 1e-12, rng.geometric(safe), np.inf)


def _cycle_before(t: np.ndarray, phase: np.ndarray, cycle_s: float) -> np.ndarray:
    """The last inventory cycle of an antenna (cycles at phase + k·cycle_s) at or before t."""
    return np.floor((t - phase) / cycle_s) * cycle_s + phase


def _absence_cycles(params: ShelfReaderParams, p: np.ndarray) -> np.ndarray:
    """Missed cycles before a tag of read probability p is declared gone: (1 − p)^n ≤ α, n ≥ absence."""
    floor = params.absence_s / params.cycle_s
    with np.errstate(divide="ignore"):
        needed = np.log(params.false_alarm_per_cycle) / np.log1p(-np.clip(p, 0.0, 1.0 - 1e-12))
    return np.maximum(np.ceil(needed), floor)


def _expand_lines(truth: GroundTruth, kind: int) -> tuple[np.ndarray, ...]:
    """Units moved by interactions of one kind: visit, sku, time, plate, rank within (visit, sku),
    and the interaction that moved each."""
    rows = np.flatnonzero(truth.inter_kind == kind)
    lines = truth.inter_sku[rows] >= 0
    row, line = np.nonzero(lines)
    units = np.abs(truth.inter_count[rows][row, line])
    inter = np.repeat(rows[row], units)
    sku = np.repeat(truth.inter_sku[rows][row, line], units)
    visit, when, plate = truth.inter_visit[inter], truth.inter_time_s[inter], truth.inter_plate[inter]
    order = np.lexsort((when, sku, visit))
    visit, sku, when, plate, inter = visit[order], sku[order], when[order], plate[order], inter[order]
    group = (
        np.r_[True, (visit[1:] != visit[:-1]) | (sku[1:] != sku[:-1])] if visit.size else np.zeros(0, bool)
    )
    start = np.flatnonzero(group)
    rank = np.arange(visit.size) - np.repeat(start, np.diff(np.r_[start, visit.size]))
    return visit, sku, when, plate, rank, inter


def simulate_shelf_readers(
    world: World,
    truth: GroundTruth,
    params: ShelfReaderParams,
    presence: PresenceParams,
    rng: np.random.Generator,
) -> tuple[ShelfReaderSignal, ShelfTruth]:
    cat, plano = world.catalog, world.planogram
    plate_stock = np.bincount(plano.slot_plate, weights=plano.slot_stock, minlength=plano.n_plates)
    window_cycles = params.presence_window_s / params.cycle_s

    # units taken, and the put-back that returns each of them (matched in order within visit and SKU)
    t_visit, t_sku, t_time, t_plate, t_rank, t_inter = _expand_lines(truth, TAKE)
    b_visit, b_sku, b_time, b_plate, b_rank, b_inter = _expand_lines(truth, PUTBACK)
    stride = float(max(t_rank.max(initial=0), b_rank.max(initial=0)) + 1)
    taken_key = (t_visit * cat.n_skus + t_sku) * stride + t_rank
    back_key = (b_visit * cat.n_skus + b_sku) * stride + b_rank
    returned_unit = np.searchsorted(taken_key, back_key)  # taken_key is sorted like _expand_lines
    back_time = np.full(t_visit.size, np.inf)
    back_plate = t_plate.copy()
    back_time[returned_unit] = b_time
    back_plate[returned_unit] = b_plate
    back_inter = np.full(t_visit.size, -1)
    back_inter[returned_unit] = b_inter

    _, tag_unit, tag_sku = tag_units(t_sku, params.tagging, cat.n_skus, rng)
    material = cat.material[t_sku[tag_unit]]
    p_home = _read_probability(params, material, plate_stock[t_plate[tag_unit]], tag_unit.size, rng)
    p_back = _read_probability(params, material, plate_stock[back_plate[tag_unit]], tag_unit.size, rng)
    # each antenna inventories on its own clock; the reader knows only the cycles a tag answered:
    # counting back from the take, the tag's last read, and whether it lies in the presence window
    phase = rng.uniform(0.0, params.cycle_s, plano.n_plates)
    cycle = params.cycle_s
    home_phase, back_phase = phase[t_plate[tag_unit]], phase[back_plate[tag_unit]]
    read_back = _cycles_until_read(p_home, rng)
    known = read_back <= window_cycles
    last_seen = _cycle_before(t_time[tag_unit], home_phase, cycle) - cycle * (
        np.minimum(read_back, window_cycles) - 1.0
    )
    reappear = _cycle_before(back_time[tag_unit], back_phase, cycle) + cycle * _cycles_until_read(p_back, rng)
    declared = last_seen + cycle * _absence_cycles(params, p_home)
    quick_return = reappear <= declared  # read again by the cycle that would have declared it gone
    departs = known & ~quick_return
    comes_back = np.isfinite(reappear) & ~quick_return

    # phantoms: a shelved tag missing a run of cycles, then read again
    stocked = np.flatnonzero(plano.slot_stock > 0)
    s_slot = np.repeat(stocked, plano.slot_stock[stocked])
    s_sku = plano.slot_sku[s_slot]
    _, s_tag_unit, s_tag_sku = tag_units(s_sku, params.tagging, cat.n_skus, rng)
    s_plate = plano.slot_plate[s_slot[s_tag_unit]]
    p_shelf = _read_probability(
        params, cat.material[s_sku[s_tag_unit]], plate_stock[s_plate], s_plate.size, rng
    )
    open_s = float(truth.visit_exit_s.max(initial=0.0) - truth.visit_arrival_s.min(initial=0.0))
    s_absence = _absence_cycles(params, p_shelf)
    rate = p_shelf * (1.0 - p_shelf) ** s_absence / params.cycle_s
    n_phantom = rng.poisson(rate * open_s)
    ph_tag = np.repeat(np.arange(s_plate.size), n_phantom)
    ph_last_read = _cycle_before(
        truth.visit_arrival_s.min(initial=0.0) + rng.uniform(0.0, open_s, ph_tag.size),
        phase[s_plate[ph_tag]],
        cycle,
    )
    ph_declared = ph_last_read + cycle * s_absence[ph_tag]
    ph_back = ph_declared + cycle * _cycles_until_read(p_shelf[ph_tag], rng)

    n_taken_tags = tag_unit.size
    dep = np.flatnonzero(departs)
    back = np.flatnonzero(comes_back)
    change = np.r_[
        np.full(dep.size, DEPART),
        np.full(back.size, REAPPEAR),
        np.full(ph_tag.size, DEPART),
        np.full(ph_tag.size, REAPPEAR),
    ]
    # EPC serials carry no order: nothing in a number says a tag was taken or never moved
    serial = rng.permutation(n_taken_tags + s_plate.size)
    epc = serial[np.r_[dep, back, n_taken_tags + ph_tag, n_taken_tags + ph_tag]]
    sku = np.r_[tag_sku[dep], tag_sku[back], s_tag_sku[ph_tag], s_tag_sku[ph_tag]]
    plate = np.r_[t_plate[tag_unit[dep]], back_plate[tag_unit[back]], s_plate[ph_tag], s_plate[ph_tag]]
    time = np.r_[declared[dep], reappear[back], ph_declared, ph_back]
    last_read = np.r_[last_seen[dep], reappear[back], ph_last_read, ph_back]
    # departures: the tag went between its last read and the next cycle, which it missed;
    # reappearances: between the cycle before and the read
    moved_by = np.r_[last_seen[dep] + cycle, reappear[back], ph_last_read + cycle, ph_back]
    actor = np.r_[t_visit[tag_unit[dep]], t_visit[tag_unit[back]], np.full(2 * ph_tag.size, -1)]
    source = np.r_[t_inter[tag_unit[dep]], back_inter[tag_unit[back]], np.full(2 * ph_tag.size, -1)]
    # reads after the store closes are not part of the day
    closing = float(truth.visit_exit_s.max(initial=0.0)) + params.absence_s
    order = np.flatnonzero(time <= closing)
    order = order[np.argsort(time[order], kind="stable")]
    change, epc, sku, plate, time, actor, last_read, moved_by, source = (
        a[order] for a in (change, epc, sku, plate, time, actor, last_read, moved_by, source)
    )

    departures = change == DEPART
    shelf = plano.plate_shelf[plate]
    events = ShelfTagEvents(
        change=change,
        epc=epc,
        sku=sku,
        plate=plate,
        shelf=shelf,
        time_s=time,
        last_read_s=last_read,
        moved_by_s=moved_by,
    )
    cameras = presence_at(
        world, truth, shelf, plate, events.moved_s, np.where(departures, actor, -1), presence, rng
    )
    unit_departed = np.bincount(tag_unit[dep], minlength=t_visit.size) > 0
    shelf_truth = ShelfTruth(
        unit_departed=unit_departed,
        unit_bought=~np.isfinite(back_time),
        event_interaction=source,
        departure_visit=actor[departures],
        open_hours=open_s / 3600.0,
        n_shelves=world.layout.n_shelves,
    )
    return ShelfReaderSignal(events=events, presence=cameras), shelf_truth


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


def shelf_tag_capture(
    events: ShelfTagEvents, event_visit: np.ndarray, shelf: ShelfTruth, truth: GroundTruth
) -> dict[str, Capture]:
    """Takes from tag departures, put-backs from reappearances: an interaction counts only if every
    unit it moved was reported, each with the right SKU (and visit, for attributed)."""
    n = truth.inter_kind.size
    if n == 0:  # nobody touched a product: only phantom departures, nothing to capture
        none = np.zeros(0, bool)
        return {
            name: interaction_capture(truth, kind, none, none)
            for name, kind in (("take", TAKE), ("putback", PUTBACK))
        }
    units = np.abs(truth.inter_count).sum(axis=1)
    linked = shelf.event_interaction >= 0
    inter = np.where(linked, shelf.event_interaction, 0)
    right_sku = linked & (truth.inter_sku[inter] == events.sku[:, None]).any(axis=1)
    right_who = right_sku & (event_visit == truth.inter_visit[inter])
    out = {}
    for name, kind, event_change in (("take", TAKE, DEPART), ("putback", PUTBACK, REAPPEAR)):
        mine = events.change == event_change
        seen = np.bincount(inter[right_sku & mine], minlength=n)
        seen_who = np.bincount(inter[right_who & mine], minlength=n)
        out[name] = interaction_capture(truth, kind, seen >= units, seen_who >= units)
    return out


class SmartShelves(BaseSensor):
    """RFID antennas under every plate, read in cycles: tags declared gone from a plate or read
    on one again, each with who the ceiling cameras place at the shelf then. Every stocked unit
    carries a tag."""

    def __init__(self, **cfg: Any) -> None:
        self.params = ShelfReaderParams.from_config(cfg)

    def observe(self, ctx: SensingContext, rng: np.random.Generator) -> Sensed:
        signal, truth = simulate_shelf_readers(ctx.world, ctx.truth, self.params, ctx.presence_params, rng)
        if (
            ctx.tracks is not None
        ):  # who the tracks put at the shelf when the reader's cycles say the tag moved
            events = signal.events
            when = ShelfEvents(time_s=events.moved_s, shelf=events.shelf, plate=events.plate)
            signal = replace(
                signal, presence=presence_from_tracks(ctx.world, ctx.tracks, when, ctx.zone_depth_m)
            )
        return Sensed(signal, truth)

    def hardware(self, store: StoreFacts, prices: PriceBook) -> Hardware:
        readers = float(np.ceil(store.n_plates / prices.rfid.shelf_antennas_per_reader))
        return {
            "rfid_shelf_antennas": (store.n_plates * prices.rfid.antenna_price, 0.0),
            "rfid_shelf_readers": (readers * prices.rfid.reader_price, readers * prices.rfid.reader_power_w),
        }

    def unit_cost(self, prices: PriceBook) -> np.ndarray:
        return tag_cost_per_unit(prices, self.params.tagging.on_metal)

    def metrics(self, sensed: Sensed, ctx: SensingContext, output: Any) -> dict[str, float | None]:
        return shelf_metrics(sensed.truth)

    def captures(self, sensed: Sensed, ctx: SensingContext, output: Any) -> dict[str, Capture]:
        event_visit = getattr(output, "event_visit", None)
        if event_visit is None:
            return {}
        return shelf_tag_capture(sensed.signal.events, event_visit, sensed.truth, ctx.truth)
