"""Shoppers and the ground truth of one store-day: who came, where they stopped, what they did.

This module holds the truth every system is judged against. Recognizers, fusion and tracking
never import it; sensor models read it to produce signals, and the metrics compare with it.

Vectorised over visits and picks. The one Python loop (`_apply_stock`) walks only the slots
whose stock runs out during the day, in time order, because a take that finds the slot empty
changes what later shoppers and its own put-back can do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Self

import numpy as np
from pydantic import Field, model_validator

from toolkit.carts import build_receipts
from toolkit.config import (
    AtLeastOne,
    NonNegative,
    Positive,
    Probability,
    Real,
    Settings,
)
from toolkit.hypotheses import canonical_lines
from toolkit.seeding import component_rng
from toolkit.world import World

TAKE, PUTBACK, EMPTY_REACH = 0, 1, 2


class ShopperParams(Settings):
    """Behaviour rates; defaults and their sources are in configs/shoppers/."""

    config_path: ClassVar[str] = "shoppers"

    population_size: AtLeastOne
    visits_per_day: AtLeastOne
    opening_hours: tuple[Annotated[Real, Field(ge=0.0, le=24.0)], Annotated[Real, Field(ge=0.0, le=24.0)]]
    peak_hours: tuple[Real, ...]
    restock_hours: tuple[Real, ...]
    peak_share: Probability
    peak_width_h: Positive
    visit_frequency_shape: Positive
    popularity_zipf: NonNegative
    preference_concentration: Positive
    past_visits_mean: NonNegative
    picks_per_visit_mean: NonNegative
    p_buy_given_pick: Probability
    p_misplaced: Probability
    p_mixed_grab: Probability
    p_single_unit: Annotated[Real, Field(gt=0.0, le=1.0)]
    max_units: AtLeastOne
    mixed_max_units: AtLeastOne
    browse_stops_mean: NonNegative
    walking_speed_mps: Positive
    p_leave_together: Probability
    stop_dwell_s: NonNegative
    pick_seconds: Positive
    hold_seconds: Positive

    @model_validator(mode="after")
    def _hours_in_order(self) -> Self:
        start, end = self.opening_hours
        if not start < end:
            raise ValueError(f"opening_hours: expected [open, close], got {[start, end]}")
        for key in ("peak_hours", "restock_hours"):
            if any(not start <= h <= end for h in getattr(self, key)):
                raise ValueError(f"{key}: every hour must lie within opening_hours {[start, end]}")
        return self


@dataclass(frozen=True)
class Population:
    """Registered shoppers: a preference over SKUs and past purchase counts (n_shoppers, n_skus)."""

    preference: np.ndarray
    past_counts: np.ndarray
    visit_rate: np.ndarray  # relative visit frequency (n_shoppers,)
    popularity: np.ndarray  # store-wide popularity of each SKU (n_skus,)


@dataclass(frozen=True)
class GroundTruth:
    """One simulated store-day. Times in seconds since midnight; positions in metres.

    Visits (V): visit_shopper, visit_arrival_s, visit_exit_s.
    Stops (dwell at a shelf, S): stop_visit, stop_shelf, stop_start_s, stop_end_s, stop_stand_m
        (where along the shelf the shopper stands when not reaching).
    Interactions (I, time-sorted): inter_visit, inter_time_s, inter_plate, inter_kind (TAKE,
        PUTBACK, EMPTY_REACH), inter_sku and inter_count (I, 2) canonical signed lines,
        inter_misplaced (a put-back onto a plate that does not stock the item).
    basket: (V, n_skus) units each visit leaves with.
    latent_demand: (n_skus,) units shoppers meant to buy, had the shelf held them (stock-outs censor
        sales, not this).
    """

    visit_shopper: np.ndarray
    visit_arrival_s: np.ndarray
    visit_exit_s: np.ndarray
    stop_visit: np.ndarray
    stop_shelf: np.ndarray
    stop_start_s: np.ndarray
    stop_end_s: np.ndarray
    stop_stand_m: np.ndarray
    inter_visit: np.ndarray
    inter_time_s: np.ndarray
    inter_plate: np.ndarray
    inter_kind: np.ndarray
    inter_sku: np.ndarray
    inter_count: np.ndarray
    inter_misplaced: np.ndarray
    basket: np.ndarray
    latent_demand: np.ndarray

    @property
    def n_visits(self) -> int:
        return int(self.visit_shopper.shape[0])

    def event_truth(
        self, source: np.ndarray, inter_event: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True lines (E, 2), counts (E, 2) and visit (E,) of detected events. `source` links each
        event to its main interaction (-1: a false event, which moved nothing: null lines and no
        visit). With `inter_event` (I,), the event each interaction was merged into (-1: none), an
        event stands for all of them: its lines are the net of its main visit's interactions (the
        two largest; `event_extras` has the rest and other shoppers' parts)."""
        real = source >= 0
        if self.inter_visit.size == 0:  # a day where nobody touched a product: only false events
            return (
                np.full((source.size, 2), -1),
                np.zeros((source.size, 2), np.int64),
                np.full(source.size, -1),
            )
        safe = np.where(real, source, 0)
        visit = np.where(real, self.inter_visit[safe], -1)
        if inter_event is None:
            sku = np.where(real[:, None], self.inter_sku[safe], -1)
            count = np.where(real[:, None], self.inter_count[safe], 0)
            return sku, count, visit
        event, sku, count, _, rank = self._event_lines(visit, inter_event)
        main = rank < 2
        lines = np.full((source.size, 2), -1)
        counts = np.zeros((source.size, 2), np.int64)
        lines[event[main], rank[main]] = sku[main]
        counts[event[main], rank[main]] = count[main]
        return (*canonical_lines(lines, counts), visit)

    def event_extras(
        self, source: np.ndarray, inter_event: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What merged events moved beyond their main lines: (event, visit, sku, count) rows for
        other shoppers' interactions inside an event, and a main visit's third and later SKUs."""
        visit = (
            np.where(source >= 0, self.inter_visit[np.maximum(source, 0)], -1)
            if self.inter_visit.size
            else source
        )
        event, sku, count, owner, rank = self._event_lines(visit, inter_event, every_visit=True)
        extra = (owner != visit[event]) | (rank >= 2)
        return event[extra], owner[extra], sku[extra], count[extra]

    def _event_lines(
        self, event_visit: np.ndarray, inter_event: np.ndarray, every_visit: bool = False
    ) -> tuple[np.ndarray, ...]:
        """Net (event, sku, count, visit) rows of the interactions merged into each event (only the
        event's main visit unless `every_visit`), ranked within (event, visit) by |count|."""
        member = np.flatnonzero(inter_event >= 0)
        if not every_visit:
            member = member[self.inter_visit[member] == event_visit[inter_event[member]]]
        event = np.repeat(inter_event[member], 2)
        owner = np.repeat(self.inter_visit[member], 2)
        sku, count = self.inter_sku[member].ravel(), self.inter_count[member].ravel()
        line = sku >= 0
        event, owner, sku, count = event[line], owner[line], sku[line], count[line]
        n_skus = self.basket.shape[1]
        key = (event * (self.n_visits + 1) + owner) * n_skus + sku
        unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        net = np.bincount(inverse, weights=count, minlength=unique.size).astype(np.int64)
        event, owner, sku = event[first], owner[first], sku[first]
        moved = net != 0
        event, owner, sku, net = event[moved], owner[moved], sku[moved], net[moved]
        order = np.lexsort((sku, -np.abs(net), owner, event))
        event, owner, sku, net = event[order], owner[order], sku[order], net[order]
        group = (
            np.r_[True, (event[1:] != event[:-1]) | (owner[1:] != owner[:-1])]
            if event.size
            else event.astype(bool)
        )
        start = np.flatnonzero(group)
        rank = np.arange(event.size) - np.repeat(start, np.diff(np.r_[start, event.size]))
        return event, sku, net, owner, rank


def make_population(params: ShopperParams, n_skus: int, rng: np.random.Generator) -> Population:
    """Preferences ~ Dirichlet around a Zipf popularity; past baskets drawn from each preference."""
    ranks = rng.permutation(n_skus) + 1.0
    popularity = ranks ** (-params.popularity_zipf)
    popularity /= popularity.sum()
    alpha = params.preference_concentration * n_skus * popularity
    gammas = rng.gamma(np.broadcast_to(alpha, (params.population_size, n_skus)))
    preference = gammas / np.maximum(gammas.sum(axis=1, keepdims=True), 1e-300)
    # rows that underflowed to all-zero fall back to popularity
    preference[gammas.sum(axis=1) <= 0] = popularity
    items_per_visit = params.picks_per_visit_mean * params.p_buy_given_pick
    past_items = rng.poisson(rng.poisson(params.past_visits_mean, params.population_size) * items_per_visit)
    past_counts = rng.multinomial(past_items, preference)
    visit_rate = rng.gamma(params.visit_frequency_shape, 1.0, params.population_size)
    return Population(
        preference=preference, past_counts=past_counts, visit_rate=visit_rate, popularity=popularity
    )


def _arrival_times(params: ShopperParams, rng: np.random.Generator) -> np.ndarray:
    """A day profile: uniform background plus Gaussian rush hours, within opening hours."""
    n = params.visits_per_day
    open_h, close_h = params.opening_hours
    hours = rng.uniform(open_h, close_h, n)
    if params.peak_hours:
        at_peak = rng.random(n) < params.peak_share
        peak = np.asarray(params.peak_hours)[rng.integers(len(params.peak_hours), size=n)]
        hours = np.where(at_peak, peak + params.peak_width_h * rng.standard_normal(n), hours)
    # rush-hour arrivals that fall outside opening hours come at a uniform time instead (clipping
    # would pile them up at the door at opening time)
    outside = (hours < open_h) | (hours > close_h - 0.5)
    hours = np.where(outside, rng.uniform(open_h, close_h - 0.5, n), hours)
    return np.sort(hours * 3600.0)


def _sample_rows(prob: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per entry of `rows` from the matching row of `prob`."""
    cumulative = np.cumsum(prob[rows], axis=1)
    u = rng.random(rows.shape[0]) * cumulative[:, -1]
    return np.minimum((cumulative < u[:, None]).sum(axis=1), prob.shape[1] - 1)


def _group_rank(group: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal (sorted) group ids."""
    if group.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    lengths = np.diff(np.r_[starts, group.size])
    return np.arange(group.size) - np.repeat(starts, lengths)


def plate_sku_table(world: World) -> tuple[np.ndarray, np.ndarray]:
    """(n_plates, M) SKUs on each plate, ascending, padded with -1; and the count per plate."""
    plano = world.planogram
    occupied = plano.slot_sku >= 0
    order = np.lexsort((plano.slot_sku[occupied], plano.slot_plate[occupied]))
    plate = plano.slot_plate[occupied][order]
    sku = plano.slot_sku[occupied][order]
    n_on = np.bincount(plate, minlength=plano.n_plates)
    table = np.full((plano.n_plates, max(int(n_on.max()), 1)), -1, dtype=np.int64)
    table[plate, _group_rank(plate)] = sku
    return table, n_on


def _second_sku_on_plate(world: World, sku: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Another SKU from the same plate as `sku` (uniform), or -1 where the plate holds only one."""
    table, n_on = plate_sku_table(world)
    plate = world.planogram.sku_plate[sku]
    rows, n = table[plate], n_on[plate]
    own_pos = np.argmax(rows == sku[:, None], axis=1)
    r = np.floor(u * np.maximum(n - 1, 1)).astype(np.int64)
    r = np.minimum(r + (r >= own_pos), table.shape[1] - 1)
    other = rows[np.arange(sku.size), r]
    return np.where(n >= 2, other, -1)


def _group_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum restarting at each run of equal (sorted) group ids."""
    if group.size == 0:
        return np.zeros(0, dtype=float)
    total = np.cumsum(values)
    starts = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    lengths = np.diff(np.r_[starts, group.size])
    before = np.repeat(total[starts] - values[starts], lengths)
    return total - before


def _apply_stock(
    world: World,
    sku: np.ndarray,
    count: np.ndarray,
    take_time: np.ndarray,
    returns: np.ndarray,
    return_time: np.ndarray,
    restock_s: np.ndarray,
) -> np.ndarray:
    """Units actually taken per pick line (T, 2) once shelf stock runs out.

    A take finds min(wanted, stock) units; a put-back to the right slot restores what was taken;
    at each restock time every slot is refilled to its planogram stock. Each (slot, restock
    period) whose level never goes negative is settled vectorised; the others are walked in
    time order.
    """
    plano = world.planogram
    pick, line = np.nonzero(sku >= 0)
    slot = plano.sku_slot[sku[pick, line]]
    back = returns[pick]
    ev_slot = np.r_[slot, slot[back]]
    ev_time = np.r_[take_time[pick], return_time[pick[back]]]
    ev_change = np.r_[-count[pick, line], count[pick[back], line[back]]]
    ev_pick, ev_line = np.r_[pick, pick[back]], np.r_[line, line[back]]
    period = ev_slot * (restock_s.size + 1) + np.searchsorted(restock_s, ev_time)
    order = np.lexsort((ev_time, period))
    level = plano.slot_stock[ev_slot[order]] + _group_cumsum(ev_change[order], period[order])
    short_periods = np.unique(period[order][level < 0])
    taken = count.copy()
    for short in short_periods:
        events = order[period[order] == short]
        stock = int(plano.slot_stock[ev_slot[events[0]]])
        for e in events:
            p, j = ev_pick[e], ev_line[e]
            if ev_change[e] < 0:
                taken[p, j] = min(int(count[p, j]), stock)
                stock -= int(taken[p, j])
            else:
                stock += int(taken[p, j])
    return taken


def _leave_together(exit_s: np.ndarray, p_together: float, rng: np.random.Generator) -> np.ndarray:
    """A share of shoppers wait at the door for the next one out and leave right behind them
    (companions, a queue at the gate): their exit passes overlap."""
    order = np.argsort(exit_s, kind="stable")
    waits = (rng.random(order.size) < p_together) & (np.arange(order.size) < order.size - 1)
    gap = rng.uniform(0.3, 1.5, order.size)
    out = exit_s.copy()
    nxt = order[np.minimum(np.arange(order.size) + 1, max(order.size - 1, 0))]
    out[order[waits]] = exit_s[nxt[waits]] + gap[waits]
    return out


@dataclass(frozen=True)
class _Picks:
    """What each visit takes from the shelves (P picks, before stock and put-backs): up to two
    lines (a mixed grab takes a second SKU from the same plate), its plate and shelf."""

    visit: np.ndarray
    sku: np.ndarray  # (P, 2), -1 for no second line
    count: np.ndarray  # (P, 2)
    plate: np.ndarray
    shelf: np.ndarray

    def take(self, index: np.ndarray) -> _Picks:
        return _Picks(*(a[index] for a in (self.visit, self.sku, self.count, self.plate, self.shelf)))


@dataclass(frozen=True)
class _Stops:
    """The shelves each visit stops at (S, in route order), when, where the shopper stands, and
    the visits' exits; per pick, its stop and its rank within the stop."""

    visit: np.ndarray
    shelf: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    dwell_s: np.ndarray
    stand_m: np.ndarray
    visit_exit_s: np.ndarray
    pick_stop: np.ndarray
    pick_rank: np.ndarray


@dataclass(frozen=True)
class _PutBacks:
    """Per pick: when it happened, whether it went back, where (misplaced: not its own plate) and when."""

    pick_time_s: np.ndarray
    put_back: np.ndarray
    misplaced: np.ndarray
    return_plate: np.ndarray
    return_time_s: np.ndarray


def _draw_picks(
    world: World,
    params: ShopperParams,
    population: Population,
    visit_shopper: np.ndarray,
    rng: np.random.Generator,
) -> _Picks:
    """Stage 2: each visit's picks from its shopper's preference; counts and mixed grabs."""
    plano = world.planogram
    n_picks = rng.poisson(params.picks_per_visit_mean, visit_shopper.size)
    pick_visit = np.repeat(np.arange(visit_shopper.size), n_picks)
    n_total = pick_visit.size
    sku_a = _sample_rows(population.preference, visit_shopper[pick_visit], rng)
    count_a = np.minimum(rng.geometric(params.p_single_unit, n_total), params.max_units)
    mixed = rng.random(n_total) < params.p_mixed_grab
    sku_b = np.where(mixed, _second_sku_on_plate(world, sku_a, rng.random(n_total)), -1)
    count_b = np.where(
        sku_b >= 0, np.minimum(rng.geometric(params.p_single_unit, n_total), params.mixed_max_units), 0
    )
    plate = plano.sku_plate[sku_a]
    return _Picks(
        pick_visit,
        np.stack([sku_a, sku_b], axis=1),
        np.stack([count_a, count_b], axis=1),
        plate,
        plano.plate_shelf[plate],
    )


def _plan_stops(
    world: World, params: ShopperParams, picks: _Picks, n_visits: int, rng: np.random.Generator
) -> tuple[_Picks, np.ndarray, np.ndarray, np.ndarray]:
    """Stage 3: the shelves a visit stops at (for picks, or to browse) in route order, and the
    picks in time order within their stop. Returns the ordered picks, stop visit and shelf, and
    each pick's stop."""
    layout = world.layout
    n_shelves = layout.n_shelves
    n_browse = rng.poisson(params.browse_stops_mean, n_visits)
    browse_visit = np.repeat(np.arange(n_visits), n_browse)
    browse_shelf = rng.integers(n_shelves, size=browse_visit.size)
    pick_key = picks.visit * n_shelves + picks.shelf
    stop_key = np.unique(np.r_[pick_key, browse_visit * n_shelves + browse_shelf])
    stop_visit, stop_shelf = stop_key // n_shelves, stop_key % n_shelves
    route = np.lexsort((layout.route_order[stop_shelf], stop_visit))
    stop_visit, stop_shelf = stop_visit[route], stop_shelf[route]
    pick_stop = np.argsort(route)[np.searchsorted(stop_key, pick_key)]
    by_stop = np.lexsort((rng.random(picks.visit.size), pick_stop))
    return picks.take(by_stop), stop_visit, stop_shelf, pick_stop[by_stop]


def _walk_the_route(
    world: World,
    params: ShopperParams,
    picks: _Picks,
    stop_visit: np.ndarray,
    stop_shelf: np.ndarray,
    pick_stop: np.ndarray,
    arrival: np.ndarray,
    seed: int,
    rng: np.random.Generator,
) -> _Stops:
    """Stage 4: when each stop starts and ends (travel along the route, dwell, picks), when each
    visit leaves (some right behind a companion), and where the shopper stands at each stop."""
    layout, plano = world.layout, world.planogram
    pick_rank = _group_rank(pick_stop)
    n_stops = stop_visit.size
    picks_at_stop = np.bincount(pick_stop, minlength=n_stops)
    dwell = (
        params.stop_dwell_s * np.exp(0.5 * rng.standard_normal(n_stops))
        + params.pick_seconds * picks_at_stop
        + 1.5 * params.hold_seconds * (picks_at_stop > 0)
    )
    xy = layout.shelf_xy[stop_shelf]
    first = np.r_[True, stop_visit[1:] != stop_visit[:-1]]
    prev_xy = np.where(first[:, None], layout.entry_xy, np.roll(xy, 1, axis=0))
    travel = np.abs(xy - prev_xy).sum(axis=1) / params.walking_speed_mps
    stop_end = arrival[stop_visit] + _group_cumsum(travel + dwell, stop_visit)
    stop_start = stop_end - dwell
    last = np.r_[stop_visit[1:] != stop_visit[:-1], True] if n_stops else np.zeros(0, bool)
    visit_exit = arrival.copy()
    to_exit = np.abs(xy[last] - layout.exit_xy).sum(axis=1) / params.walking_speed_mps
    visit_exit[stop_visit[last]] = stop_end[last] + to_exit
    visit_exit = _leave_together(
        visit_exit, params.p_leave_together, component_rng(seed, "shoppers", "groups")
    )
    stand = rng.uniform(0.0, layout.shelf_length_m[stop_shelf])
    lead = pick_rank == 0
    stand[pick_stop[lead]] = plano.plate_offset_m[picks.plate[lead]]
    return _Stops(
        stop_visit, stop_shelf, stop_start, stop_end, dwell, stand, visit_exit, pick_stop, pick_rank
    )


def _put_back_or_keep(
    world: World, params: ShopperParams, picks: _Picks, stops: _Stops, rng: np.random.Generator
) -> _PutBacks:
    """Stage 5: when each pick happens, which are put back, where (a misplaced put-back goes onto
    the next stop's shelf, or another plate of the same shelf) and when."""
    plano = world.planogram
    n_total, n_stops = picks.visit.size, stops.visit.size
    n_shelves = world.layout.n_shelves
    pick_time = stops.start_s[stops.pick_stop] + params.pick_seconds * (stops.pick_rank + rng.random(n_total))
    put_back = rng.random(n_total) >= params.p_buy_given_pick
    return_time = pick_time + params.hold_seconds * rng.uniform(0.5, 1.5, n_total)
    misplaced = put_back & (rng.random(n_total) < params.p_misplaced)
    nxt = np.minimum(stops.pick_stop + 1, max(n_stops - 1, 0))
    has_next = (stops.pick_stop + 1 < n_stops) & (stops.visit[nxt] == picks.visit)
    plates_per_shelf = np.bincount(plano.plate_shelf, minlength=n_shelves)
    first_plate = np.searchsorted(plano.plate_shelf, np.arange(n_shelves))
    next_shelf = stops.shelf[nxt]
    to_next = misplaced & has_next
    u = rng.random(n_total)
    next_plate = first_plate[next_shelf] + np.floor(u * plates_per_shelf[next_shelf]).astype(np.int64)
    own_shelf = plano.plate_shelf[picks.plate]
    n_here = plates_per_shelf[own_shelf]
    local = picks.plate - first_plate[own_shelf]
    other_here = (
        first_plate[own_shelf]
        + (local + 1 + np.floor(u * np.maximum(n_here - 1, 1)).astype(np.int64)) % n_here
    )
    same_shelf = misplaced & ~has_next & (n_here > 1)
    misplaced = to_next | same_shelf
    return_plate = np.where(to_next, next_plate, np.where(same_shelf, other_here, picks.plate))
    arrive_next = stops.start_s[nxt] + rng.random(n_total) * np.minimum(
        params.pick_seconds, stops.dwell_s[nxt]
    )
    return_time = np.where(to_next, arrive_next, return_time)
    return _PutBacks(pick_time, put_back, misplaced, return_plate, return_time)


def population_and_day(
    world: World, params: ShopperParams, seed: int, store_seed: int
) -> tuple[Population, GroundTruth]:
    """The store's shopper population with its purchase histories (from `store_seed`: the same
    regulars every day) and one store-day of their visits (from the day's `seed`), each from its own
    stream: what a comparison simulates before any sensor looks."""
    rng = component_rng(store_seed, "shoppers", "population")
    population = make_population(params, world.catalog.n_skus, rng)
    return population, simulate_day(world, params, population, seed)


def simulate_day(world: World, params: ShopperParams, population: Population, seed: int) -> GroundTruth:
    """Simulate one store-day of visits in stages: arrivals, picks, the stops of each route, the
    walk along it, put-backs (some misplaced), then stock-outs and the interactions they leave."""
    rng = component_rng(seed, "shoppers", "day")
    arrival = _arrival_times(params, rng)
    rate = population.visit_rate / population.visit_rate.sum()
    visit_shopper = rng.choice(rate.size, size=arrival.size, p=rate)
    picks = _draw_picks(world, params, population, visit_shopper, rng)
    picks, stop_visit, stop_shelf, pick_stop = _plan_stops(world, params, picks, arrival.size, rng)
    stops = _walk_the_route(world, params, picks, stop_visit, stop_shelf, pick_stop, arrival, seed, rng)
    returns = _put_back_or_keep(world, params, picks, stops, rng)
    return _interactions(world, params, picks, stops, returns, visit_shopper, arrival)


def _interactions(
    world: World,
    params: ShopperParams,
    picks: _Picks,
    stops: _Stops,
    returns: _PutBacks,
    visit_shopper: np.ndarray,
    arrival: np.ndarray,
) -> GroundTruth:
    """Stage 6: what the stock on the shelves let each pick take, the takes, put-backs and reaches
    into empty slots in time order, and each visit's basket."""
    sku, count, put_back, pick_time = picks.sku, picks.count, returns.put_back, returns.pick_time_s
    misplaced, return_plate, return_time = returns.misplaced, returns.return_plate, returns.return_time_s
    restock_s = np.sort(np.asarray(params.restock_hours, dtype=float)) * 3600.0
    taken = _apply_stock(world, sku, count, pick_time, put_back & ~misplaced, return_time, restock_s)
    took_any = taken.sum(axis=1) > 0
    take_sku, take_count = canonical_lines(sku, taken)
    empty = ~took_any
    take_sku[empty] = np.stack([sku[empty, 0], np.full(empty.sum(), -1)], axis=1)
    back = put_back & took_any
    back_sku, back_count = canonical_lines(sku[back], -taken[back])

    inter_visit = np.r_[picks.visit, picks.visit[back]]
    inter_time = np.r_[pick_time, return_time[back]]
    inter_plate = np.r_[picks.plate, return_plate[back]]
    inter_kind = np.r_[np.where(took_any, TAKE, EMPTY_REACH), np.full(back.sum(), PUTBACK)]
    inter_sku = np.concatenate([take_sku, back_sku])
    inter_count = np.concatenate([take_count, back_count])
    inter_misplaced = np.r_[np.zeros(picks.visit.size, bool), misplaced[back]]
    order = np.argsort(inter_time, kind="stable")

    n_skus = world.catalog.n_skus
    basket = build_receipts(inter_sku, inter_count, inter_visit, arrival.size, n_skus)
    kept = ~put_back[:, None] & (sku >= 0)
    latent = np.bincount(sku[kept], weights=count[kept], minlength=n_skus).astype(np.int64)
    return GroundTruth(
        visit_shopper=visit_shopper,
        visit_arrival_s=arrival,
        visit_exit_s=stops.visit_exit_s,
        stop_visit=stops.visit,
        stop_shelf=stops.shelf,
        stop_start_s=stops.start_s,
        stop_end_s=stops.end_s,
        stop_stand_m=stops.stand_m,
        inter_visit=inter_visit[order],
        inter_time_s=inter_time[order],
        inter_plate=inter_plate[order],
        inter_kind=inter_kind[order],
        inter_sku=inter_sku[order],
        inter_count=inter_count[order],
        inter_misplaced=inter_misplaced[order],
        basket=basket,
        latent_demand=latent,
    )
