"""Where every shopper is on the floor, frame by frame, and what the ceiling cameras detect of it.

Each visit walks a piecewise-linear path: from the entry to a standing point in front of each
shelf it stops at (walking the aisle first, then across, like the Manhattan travel times of the
visit model), a step to the plate around each of its interactions, and out to the exit. The
cameras sample that path at `frame_hz`; a person detector reports each shopper with probability
`p_detect` (occlusion, blind spots), with Gaussian position noise, and adds clutter (false
detections) anywhere on the floor. Detections carry no identity: the tracker has to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from toolkit.config import (
    AtLeastOne,
    NonNegative,
    Positive,
    Probability,
    Settings,
)
from toolkit.numerics import stable_order
from toolkit.sensors.observations import CameraDetections, visit_frames
from toolkit.shoppers import GroundTruth
from toolkit.world import World

_VISIT_STRIDE_S = 1.0e6  # larger than a day in seconds: (visit, time) sort key
_HOLD_S = 0.5  # a shopper stands at the plate this long before and after touching it
_STEP_S = 1.0  # the time a step between the standing spot and the plate takes


class WalkParams(Settings):
    """How shoppers walk and how the floor cameras see them (the `sensor.presence` section's
    tracking part; `PresenceParams` adds the rest)."""

    config_path: ClassVar[str] = "sensor.presence"

    frame_hz: Positive
    detection_noise_m: NonNegative
    p_detect: Probability
    clutter_per_frame: NonNegative
    standoff_m: NonNegative
    queue_depth_m: NonNegative
    p_at_front: Probability
    appearance_dim: AtLeastOne
    appearance_noise: NonNegative


@dataclass(frozen=True)
class WalkTruth:
    """Each visit's true floor position at each frame it is in the store (N samples, visit-major)."""

    sample_visit: np.ndarray
    sample_frame: np.ndarray
    sample_xy: np.ndarray


def _interaction_stops(world: World, truth: GroundTruth) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the interactions that happen during a stop of their visit at their shelf, and
    that stop's index (the others have no step to the plate in the path)."""
    n_shelves = world.layout.n_shelves
    plate_shelf = world.planogram.plate_shelf[truth.inter_plate]
    stop_key = truth.stop_visit * n_shelves + truth.stop_shelf
    if stop_key.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(stop_key)
    key = truth.inter_visit * n_shelves + plate_shelf
    stop = order[np.minimum(np.searchsorted(stop_key[order], key), order.size - 1)]
    when = truth.inter_time_s
    inside = (stop_key[stop] == key) & (truth.stop_start_s[stop] < when) & (when < truth.stop_end_s[stop])
    inter = np.flatnonzero(inside)
    by_time = np.lexsort((when[inter], stop[inter]))
    return inter[by_time], stop[inter][by_time]


def _waypoints(
    world: World, truth: GroundTruth, params: WalkParams, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """(visit, time, x, y) of every corner of every path, sorted by visit then time."""
    layout, plano = world.layout, world.planogram
    left = layout.shelf_xy[:, 0] - 0.5 * layout.shelf_length_m
    front = layout.shelf_xy[:, 1]
    n_visits = truth.n_visits

    # each stop has its own spot: along the shelf, and some way back from it (people stand beside
    # and behind each other; two bodies do not share a spot). A share browse at the shelf's front,
    # where the one reaching stands: depth alone does not say who reached
    u = rng.random(truth.stop_visit.size)
    behind = np.clip((u - params.p_at_front) / max(1.0 - params.p_at_front, 1e-12), 0.0, 1.0)
    depth = params.standoff_m + params.queue_depth_m * behind
    stand_x = left[truth.stop_shelf] + truth.stop_stand_m
    stand_y = front[truth.stop_shelf] - depth
    parts = [
        (np.arange(n_visits), truth.visit_arrival_s, *np.broadcast_to(layout.entry_xy, (n_visits, 2)).T),
        (np.arange(n_visits), truth.visit_exit_s, *np.broadcast_to(layout.exit_xy, (n_visits, 2)).T),
        (truth.stop_visit, truth.stop_start_s, stand_x, stand_y),
        (truth.stop_visit, truth.stop_end_s, stand_x, stand_y),
    ]
    # the corner of each walk to a stop: along the previous aisle, then across
    n_stops = truth.stop_visit.size
    first = np.r_[True, truth.stop_visit[1:] != truth.stop_visit[:-1]] if n_stops else np.zeros(0, bool)
    prev_x = np.where(first, layout.entry_xy[0], np.roll(stand_x, 1))
    prev_y = np.where(first, layout.entry_xy[1], np.roll(stand_y, 1))
    prev_t = np.where(first, truth.visit_arrival_s[truth.stop_visit], np.roll(truth.stop_end_s, 1))
    dx, dy = np.abs(stand_x - prev_x), np.abs(stand_y - prev_y)
    share = np.divide(dx, dx + dy, out=np.zeros_like(dx), where=dx + dy > 0)
    parts.append((truth.stop_visit, prev_t + share * (truth.stop_start_s - prev_t), stand_x, prev_y))

    # a step from the spot to the plate and back around each interaction; straight on to the
    # next plate when the next interaction follows too soon to go back in between
    inter, stop = _interaction_stops(world, truth)
    when = truth.inter_time_s[inter]
    plate_x = left[truth.stop_shelf[stop]] + plano.plate_offset_m[truth.inter_plate[inter]]
    plate_y = front[truth.stop_shelf[stop]] - params.standoff_m
    same_stop_prev = np.r_[False, stop[1:] == stop[:-1]]
    gap_prev = np.where(same_stop_prev, np.diff(when, prepend=-np.inf), np.inf)
    gap_next = np.r_[gap_prev[1:], np.inf][: gap_prev.size]
    hold = np.minimum(_HOLD_S, 0.5 * np.minimum(gap_prev, gap_next))
    start, end = truth.stop_start_s[stop], truth.stop_end_s[stop]
    visit = truth.stop_visit[stop]
    parts.append((visit, np.clip(when - hold, start, end), plate_x, plate_y))
    parts.append((visit, np.clip(when + hold, start, end), plate_x, plate_y))
    leave = gap_prev >= 2.0 * _STEP_S + 2.0 * _HOLD_S
    back = gap_next >= 2.0 * _STEP_S + 2.0 * _HOLD_S
    parts.append(
        (
            visit[leave],
            np.clip(when[leave] - hold[leave] - _STEP_S, start[leave], end[leave]),
            stand_x[stop[leave]],
            stand_y[stop[leave]],
        )
    )
    parts.append(
        (
            visit[back],
            np.clip(when[back] + hold[back] + _STEP_S, start[back], end[back]),
            stand_x[stop[back]],
            stand_y[stop[back]],
        )
    )

    visit, time, x, y = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.lexsort((time, visit))
    return visit[order], time[order], x[order], y[order]


def true_positions(
    world: World, truth: GroundTruth, params: WalkParams, rng: np.random.Generator
) -> WalkTruth:
    """Interpolate every visit's path at every frame it spends in the store."""
    visit, time, x, y = _waypoints(world, truth, params, rng)
    first, last = visit_frames(truth.visit_arrival_s, truth.visit_exit_s, params.frame_hz)
    per_visit = last - first + 1
    sample_visit = np.repeat(np.arange(truth.n_visits), per_visit)
    sample_frame = np.empty(sample_visit.size, dtype=np.int64)
    xy = np.empty((sample_visit.size, 2))
    _interpolate_paths(
        visit * _VISIT_STRIDE_S + time,
        visit,
        time,
        x,
        y,
        first,
        per_visit,
        truth.visit_arrival_s,
        truth.visit_exit_s,
        float(params.frame_hz),
        sample_frame,
        xy,
    )
    return WalkTruth(sample_visit=sample_visit, sample_frame=sample_frame, sample_xy=xy)


@njit(cache=True)
def _interpolate_paths(
    key: np.ndarray,
    visit: np.ndarray,
    time: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    first: np.ndarray,
    per_visit: np.ndarray,
    arrival_s: np.ndarray,
    exit_s: np.ndarray,
    frame_hz: float,
    sample_frame: np.ndarray,
    xy: np.ndarray,
) -> None:
    """Each visit's position at each of its frames, linear between the waypoints around it
    (`key`: the waypoints' sorted (visit, time) keys), in one compiled pass: the arithmetic of
    the array expressions it replaced (no fused multiply-adds), a day's million frames without
    thirty temporaries of their size. The frames' keys only grow, so the waypoint after each is
    found by walking forward (what searchsorted found)."""
    hi, last_key, sample = 0, key.size - 1, 0
    for v in range(per_visit.size):
        for step in range(per_visit[v]):
            frame = first[v] + step
            t = min(max(frame / frame_hz, arrival_s[v]), exit_s[v])
            query = v * _VISIT_STRIDE_S + t
            while hi < key.size and key[hi] <= query:
                hi += 1
            after = min(max(hi, 1), max(last_key, 1))
            before = after - 1
            span = time[after] - time[before]
            w = 0.0
            if visit[after] == v and span > 0:
                w = min(max((t - time[before]) / span, 0.0), 1.0)
            sample_frame[sample] = frame
            xy[sample, 0] = x[before] + w * (x[after] - x[before])
            xy[sample, 1] = y[before] + w * (y[after] - y[before])
            sample += 1


def observe_walks(
    world: World, truth: GroundTruth, params: WalkParams, rng: np.random.Generator
) -> tuple[CameraDetections, np.ndarray, WalkTruth]:
    """Anonymous person detections per frame (sorted by frame), the door camera's appearance
    embedding of each visit (V, k) taken at its QR scan, and the true paths behind them.

    Each shopper has a look (clothing, build): a point in a k-dimensional re-identification
    embedding space, N(0, I) across shoppers; every view of it (the door's, each detection's)
    adds N(0, appearance_noise² I) for pose, lighting and occlusion."""
    walk = true_positions(world, truth, params, rng)
    look = rng.standard_normal((truth.n_visits, params.appearance_dim))
    door_view = look + params.appearance_noise * rng.standard_normal(look.shape)
    seen = np.concatenate(
        [
            np.flatnonzero(rng.random(rows.stop - rows.start) < params.p_detect) + rows.start
            for rows in _blocks(walk.sample_visit.size)
        ]
        or [np.zeros(0, dtype=np.int64)]
    )
    # detections are written where frame order puts them, from noise drawn a block at a time in
    # the order the whole draw would take (every position's noise, then every look's): a day's
    # million embeddings are 80 MB a copy, and the fresh memory, not the sums, took the time.
    # The arrays have room for the clutter, merged in at the end: grown only when it outnumbers that
    clutters = bool(walk.sample_frame.size) and params.clutter_per_frame > 0
    busy = (
        _busy_frames(*visit_frames(truth.visit_arrival_s, truth.visit_exit_s, params.frame_hz))
        if clutters
        else None
    )
    room = seen.size + (_clutter_room(params.clutter_per_frame * busy.size) if clutters else 0)
    frame = np.empty(room, dtype=walk.sample_frame.dtype)
    frame_seen = walk.sample_frame[seen]
    order = stable_order(frame_seen)
    np.take(frame_seen, order, out=frame[: seen.size])
    place = np.empty_like(order)
    place[order] = np.arange(order.size)
    del frame_seen, order
    xy = np.empty((room, 2))
    appearance = np.empty((room, params.appearance_dim))
    for rows in _blocks(seen.size):
        noise = rng.standard_normal((rows.stop - rows.start, 2))
        _place_plus_noise(xy, place[rows], walk.sample_xy, seen[rows], noise, float(params.detection_noise_m))
    for rows in _blocks(seen.size):
        noise = rng.standard_normal((rows.stop - rows.start, params.appearance_dim))
        visit = walk.sample_visit[seen[rows]]
        _place_plus_noise(appearance, place[rows], look, visit, noise, float(params.appearance_noise))
    total = seen.size
    if clutters:
        n_clutter = rng.poisson(params.clutter_per_frame * busy.size)
        clutter_frame = rng.choice(busy, size=n_clutter)
        clutter_xy = rng.random((n_clutter, 2)) * [world.layout.width_m, world.layout.depth_m]
        clutter_look = rng.standard_normal((n_clutter, params.appearance_dim))
        # clutter after the detections of its frame, as a stable sort of both would put it
        by_frame = np.argsort(clutter_frame, kind="stable")
        total = seen.size + n_clutter
        if total > room:  # more clutter than the room left for it (about one day in 10^15)
            frame, xy, appearance = (
                np.concatenate([a, np.empty((total - room, *a.shape[1:]), a.dtype)])
                for a in (frame, xy, appearance)
            )
        clutter = (clutter_frame[by_frame], clutter_xy[by_frame], clutter_look[by_frame])
        _merge_from_the_back(frame[:total], xy[:total], appearance[:total], seen.size, *clutter)
    frame, xy, appearance = frame[:total], xy[:total], appearance[:total]
    detections = CameraDetections(frame=frame, xy=xy, appearance=appearance, frame_hz=params.frame_hz)
    return detections, door_view, walk


_BLOCK = 1 << 16  # detections drawn and placed per block


def _clutter_room(expected: float) -> int:
    """Rows to leave for a Poisson(`expected`) count of clutter: its mean and 8 standard deviations."""
    return int(expected + 8.0 * np.sqrt(expected)) + 8


def _blocks(n: int) -> list[slice]:
    return [slice(start, min(start + _BLOCK, n)) for start in range(0, n, _BLOCK)]


@njit(cache=True)
def _place_plus_noise(
    out: np.ndarray,
    place: np.ndarray,
    base: np.ndarray,
    base_row: np.ndarray,
    noise: np.ndarray,
    scale: float,
) -> None:
    """out[place[i]] = base[base_row[i]] + scale · noise[i]: a block of detections, each row
    where frame order puts it."""
    for i in range(place.size):
        for axis in range(out.shape[1]):
            out[place[i], axis] = base[base_row[i], axis] + noise[i, axis] * scale


@njit(cache=True)
def _merge_from_the_back(
    frame: np.ndarray,
    xy: np.ndarray,
    look: np.ndarray,
    n_seen: int,
    clutter_frame: np.ndarray,
    clutter_xy: np.ndarray,
    clutter_look: np.ndarray,
) -> None:
    """Merge the clutter (sorted by frame) into the detections (the first `n_seen` rows, sorted
    by frame), in place from the end of the arrays (room for both): within a frame, detections first."""
    seen_row, clutter_row = n_seen - 1, clutter_frame.size - 1
    for row in range(frame.size - 1, -1, -1):
        if clutter_row < 0:
            break
        if seen_row >= 0 and frame[seen_row] > clutter_frame[clutter_row]:
            frame[row], xy[row], look[row] = frame[seen_row], xy[seen_row], look[seen_row]
            seen_row -= 1
        else:
            frame[row], xy[row] = clutter_frame[clutter_row], clutter_xy[clutter_row]
            look[row] = clutter_look[clutter_row]
            clutter_row -= 1


def _busy_frames(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The frames (sorted) in which at least one visit is in the store, from each visit's first
    and last frame (at least one visit): np.unique of every visit's frames, without sorting a
    day of them."""
    origin = int(first.min())
    span = int(last.max()) - origin + 2
    entering = np.bincount(first - origin, minlength=span)
    leaving = np.bincount(last + 1 - origin, minlength=span)
    return origin + np.flatnonzero(np.cumsum(entering - leaving)[:-1] > 0)
