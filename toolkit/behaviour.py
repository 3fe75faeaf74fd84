"""What the camera designs record beyond receipts, from their own signals: dwells found by a stop
detector on the shopper tracks, and reaches into empty slots (a hand at a slot and no weight change).

Both read observations only (tracks, camera reaches, shelf events), never the truth; the judge
scores them against the true stops and reaches in toolkit/metrics/data_yield.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from toolkit.config import (
    Positive,
    Settings,
)
from toolkit.fusion import attribute
from toolkit.sensors.observations import KEY_STRIDE_S, ShelfEvents, ShelfReaches
from toolkit.tracking import Tracks, presence_from_tracks
from toolkit.world import World


class BehaviourParams(Settings):
    config_path: ClassVar[str] = "behaviour"

    min_dwell_s: Positive
    empty_reach_window_s: Positive
    attribution_sigma_m: Positive


@dataclass(frozen=True)
class Dwells:
    """Stops the detector found (D): the visit whose track stood there, the shelf, start and end (s)."""

    visit: np.ndarray
    shelf: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray


@dataclass(frozen=True)
class EmptyReaches:
    """Reaches into a slot with no weight change (R): time, plate and the visit they are put down to."""

    time_s: np.ndarray
    plate: np.ndarray
    visit: np.ndarray


def detect_dwells(world: World, tracks: Tracks, zone_depth_m: float, min_dwell_s: float) -> Dwells:
    """Runs of a track's frames in front of one shelf lasting at least `min_dwell_s`."""
    layout = world.layout
    length = layout.shelf_length_m
    label = np.empty(tracks.sample_visit.size, dtype=np.int64)
    _nearest_shelf(
        tracks.sample_xy,
        layout.shelf_xy[:, 0] - 0.5 * length,
        length,
        layout.shelf_xy[:, 1],
        float(zone_depth_m),
        label,
    )
    visit, frame = tracks.sample_visit, tracks.sample_frame
    new_run = np.r_[True, (visit[1:] != visit[:-1]) | (label[1:] != label[:-1])] if label.size else label > 0
    heads = np.flatnonzero(new_run)
    tails = np.r_[heads[1:], label.size] - 1
    start_s, end_s = frame[heads] / tracks.frame_hz, (frame[tails] + 1) / tracks.frame_hz
    keep = (label[heads] >= 0) & (end_s - start_s >= min_dwell_s)
    return Dwells(visit[heads][keep], label[heads][keep], start_s[keep], end_s[keep])


@njit(cache=True)
def _nearest_shelf(
    xy: np.ndarray, left: np.ndarray, length: np.ndarray, front: np.ndarray, zone: float, label: np.ndarray
) -> None:
    """Per floor position, the shelf it stands in front of (`at_shelf`'s zone, the same
    arithmetic), the nearest front where zones overlap (the first of equals), else -1: a day's
    track samples against every shelf in one compiled pass."""
    for i in range(xy.shape[0]):
        best, best_depth = -1, np.inf
        for shelf in range(left.size):
            along = xy[i, 0] - left[shelf]
            depth = front[shelf] - xy[i, 1]
            near = depth >= -0.1 and depth <= zone and along >= -zone and along <= length[shelf] + zone
            if near and (best < 0 or depth < best_depth):
                best, best_depth = shelf, depth
        label[i] = best


def find_empty_reaches(
    world: World,
    tracks: Tracks,
    reaches: ShelfReaches,
    events: ShelfEvents,
    params: BehaviourParams,
    zone: float,
) -> EmptyReaches:
    """Camera reaches with no shelf event on their plate within the window: the hand came back
    empty. Each is put down to the shopper the tracks place nearest the plate."""
    key = np.sort(events.plate * KEY_STRIDE_S + events.time_s)
    query = reaches.plate * KEY_STRIDE_S + reaches.time_s
    w = params.empty_reach_window_s
    lo = np.searchsorted(key, query - w, side="left")
    hi = np.searchsorted(key, query + w, side="right")
    empty = hi == lo
    when = ShelfEvents(time_s=reaches.time_s[empty], shelf=reaches.shelf[empty], plate=reaches.plate[empty])
    presence = presence_from_tracks(world, tracks, when, zone)
    visit, _ = attribute(presence, world.planogram.plate_offset_m[when.plate], params.attribution_sigma_m)
    return EmptyReaches(time_s=when.time_s, plate=when.plate, visit=visit)
