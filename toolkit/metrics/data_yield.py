"""Data yield: which true behavioural events each design captured, and attributed to the right shopper.

Event types: take, put-back, dwell (a stop at a shelf), path (a visit's whole route), reach into an
empty slot. A design gets credit for an event only if it recognised it correctly (the right SKUs
and counts for shelf events) and, for "attributed", put it down to the visit that did it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.behaviour import Dwells, EmptyReaches
from toolkit.metrics.accuracy import lines_equal
from toolkit.metrics.detection import nearest_on_plate
from toolkit.metrics.tracking import LOST_M
from toolkit.sensors.observations import KEY_STRIDE_S
from toolkit.sensors.walks import WalkTruth
from toolkit.shoppers import EMPTY_REACH, PUTBACK, TAKE, GroundTruth
from toolkit.systems import SystemOutput

EVENT_TYPES = ("take", "putback", "dwell", "path", "empty_reach")


@dataclass(frozen=True)
class Capture:
    """Per true event of one type: captured (recognised correctly) and attributed (and to the right visit)."""

    captured: np.ndarray
    attributed: np.ndarray


def interaction_capture(
    truth: GroundTruth, kind: int, correct: np.ndarray, attributed: np.ndarray
) -> Capture:
    mine = truth.inter_kind == kind
    return Capture(captured=correct[mine], attributed=attributed[mine])


def fusion_capture(
    output: SystemOutput, truth: GroundTruth, event_source: np.ndarray, inter_event: np.ndarray
) -> dict[str, Capture]:
    """Takes and put-backs from the final decision of each detected shelf event: an interaction is
    captured when the event it was merged into is decided right (and attributed when also to its
    shopper)."""
    true_sku, true_count, true_visit = truth.event_truth(event_source, inter_event)
    real = event_source >= 0
    right = lines_equal(output.final_sku, output.final_count, true_sku, true_count) & real
    who = output.final_visit == true_visit
    member = inter_event >= 0
    event = np.maximum(inter_event, 0)
    correct = member & (truth.inter_visit == true_visit[event]) & right[event]
    attributed = correct & who[event]
    return {
        "take": interaction_capture(truth, TAKE, correct, attributed),
        "putback": interaction_capture(truth, PUTBACK, correct, attributed),
    }


def camera_capture(stops_seen: np.ndarray, truth: GroundTruth) -> dict[str, Capture]:
    """Dwell stops the cameras saw (the track carries the visit from the QR scan), and visits whose
    every stop was seen (their whole path)."""
    missed = np.bincount(truth.stop_visit[~stops_seen], minlength=truth.n_visits)
    has_stops = np.bincount(truth.stop_visit, minlength=truth.n_visits) > 0
    path = (missed == 0)[has_stops]
    return {"dwell": Capture(stops_seen, stops_seen), "path": Capture(path, path)}


def track_capture(
    walk: WalkTruth, error: np.ndarray, truth: GroundTruth, dwells: Dwells
) -> dict[str, Capture]:
    """Dwell stops and paths as the camera designs recorded them. A true stop is captured when the
    stop detector's dwells at that shelf cover at least half of it, and attributed when the dwells
    of its own visit do; a path is captured and attributed when the visit's track stays on its
    shopper (within 1 m) for 95 % of the visit (`error`: `tracking.track_error`'s)."""
    stops = _true_stops(truth)
    seen = _coverage(stops, dwells, by_visit=False) >= 0.5
    kept = _coverage(stops, dwells, by_visit=True) >= 0.5
    share_on = np.bincount(walk.sample_visit, weights=error < LOST_M, minlength=truth.n_visits) / np.maximum(
        np.bincount(walk.sample_visit, minlength=truth.n_visits), 1
    )
    has_stops = np.bincount(truth.stop_visit, minlength=truth.n_visits) > 0
    path = (share_on >= 0.95)[has_stops]
    return {"dwell": Capture(seen, seen & kept), "path": Capture(path, path)}


def _true_stops(truth: GroundTruth) -> Dwells:
    return Dwells(truth.stop_visit, truth.stop_shelf, truth.stop_start_s, truth.stop_end_s)


def _coverage(intervals: Dwells, cover: Dwells, by_visit: bool) -> np.ndarray:
    """Share of each interval covered by the `cover` intervals at the same shelf (and, `by_visit`,
    of the same visit)."""
    n_shelves = int(max(intervals.shelf.max(initial=-1), cover.shelf.max(initial=-1))) + 1
    key = intervals.visit * n_shelves + intervals.shelf if by_visit else intervals.shelf
    cover_key = cover.visit * n_shelves + cover.shelf if by_visit else cover.shelf
    start, end = intervals.start_s, intervals.end_s
    order = np.lexsort((cover.start_s, cover_key))
    sorted_key = cover_key[order] * KEY_STRIDE_S + cover.start_s[order]
    longest = float((cover.end_s - cover.start_s).max(initial=0.0))
    lo = np.searchsorted(sorted_key, key * KEY_STRIDE_S + start - longest, side="left")
    hi = np.searchsorted(sorted_key, key * KEY_STRIDE_S + end, side="left")
    n = hi - lo
    pair = np.repeat(np.arange(key.size), n)
    other = order[np.repeat(lo, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)]
    same = cover_key[other] == key[pair]
    overlap = np.minimum(end[pair], cover.end_s[other]) - np.maximum(start[pair], cover.start_s[other])
    seconds = np.bincount(pair, weights=np.where(same, np.maximum(overlap, 0.0), 0.0), minlength=key.size)
    return seconds / np.maximum(end - start, 1e-9)


def dwell_false_share(dwells: Dwells, truth: GroundTruth) -> float | None:
    """Share of the detector's dwells that are no true stop of their visit at their shelf (at most
    half of the dwell inside one): walkers lingering along a shelf, or a track on someone else."""
    if dwells.visit.size == 0:
        return None
    return float((_coverage(dwells, _true_stops(truth), by_visit=True) < 0.5).mean())


def empty_reach_capture(reaches: EmptyReaches, truth: GroundTruth, tolerance_s: float) -> Capture:
    """Reaches into empty slots: captured when an empty reach was flagged on its plate within
    `tolerance_s`, attributed when the nearest such reach was also put down to its visit."""
    mine = np.flatnonzero(truth.inter_kind == EMPTY_REACH)
    found = nearest_on_plate(
        truth.inter_plate[mine],
        truth.inter_time_s[mine],
        reaches.plate,
        reaches.time_s,
        np.arange(reaches.plate.size),
        tolerance_s,
    )
    captured = found >= 0
    return Capture(captured, captured & (reaches.visit[np.maximum(found, 0)] == truth.inter_visit[mine]))


def true_event_counts(truth: GroundTruth) -> dict[str, int]:
    return {
        "take": int((truth.inter_kind == TAKE).sum()),
        "putback": int((truth.inter_kind == PUTBACK).sum()),
        "dwell": int(truth.stop_visit.size),
        "path": int((np.bincount(truth.stop_visit, minlength=truth.n_visits) > 0).sum()),
        "empty_reach": int((truth.inter_kind == EMPTY_REACH).sum()),
    }


def yield_metrics(captures: dict[str, Capture], truth: GroundTruth) -> dict[str, float | None]:
    """Per event type, the share captured and the share attributed; and attributed events per visit.
    Types a design cannot see at all count as captured by none."""
    totals = true_event_counts(truth)
    out: dict[str, float | None] = {}
    credited = 0
    for name in EVENT_TYPES:
        capture = captures.get(name)
        total = totals[name]
        captured = int(capture.captured.sum()) if capture is not None else 0
        attributed = int(capture.attributed.sum()) if capture is not None else 0
        out[f"yield_{name}_captured"] = captured / total if total else None
        out[f"yield_{name}_attributed"] = attributed / total if total else None
        credited += attributed
    out["events_captured_per_visit"] = credited / truth.n_visits if truth.n_visits else 0.0
    return out
