"""Event detection against the truth: which interaction each detected event came from (the
judge's links every event-level metric rests on), then precision, recall, merged and split
events, false events."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from toolkit.sensors.loadcell_stream import StreamTruth
from toolkit.sensors.observations import KEY_STRIDE_S, LoadcellReadings, ShelfEvents


def link_events(
    events: ShelfEvents, stream: StreamTruth, n_interactions: int, tolerance_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per detected event, the interaction it most likely came from (the nearest weight change on
    its plate within tolerance; -1: a false event), and per interaction the event it is part of."""
    source = nearest_on_plate(
        events.plate,
        events.time_s,
        stream.move_plate,
        stream.move_time_s,
        stream.move_interaction,
        tolerance_s,
    )
    inter_event = merged_into(
        events.plate,
        events.time_s,
        stream.event_end_s,
        source,
        stream.move_plate,
        stream.move_time_s,
        stream.move_interaction,
        n_interactions,
        tolerance_s,
    )
    return source, inter_event


def merged_into(
    plate: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    source: np.ndarray,
    move_plate: np.ndarray,
    move_time: np.ndarray,
    moves: np.ndarray,
    n_interactions: int,
    tolerance_s: float,
) -> np.ndarray:
    """The detected event each interaction is part of (-1: none): the latest event on its plate
    that began by the interaction (within tolerance) and had not ended before it. Two grabs from
    one plate a second apart make one event, and that event stands for both."""
    tol = tolerance_s
    order = np.lexsort((start, plate))
    key = plate[order] * KEY_STRIDE_S + start[order]
    at = np.searchsorted(key, move_plate * KEY_STRIDE_S + move_time + tol, side="right") - 1
    candidate = order[np.maximum(at, 0)] if order.size else np.zeros(move_plate.size, dtype=np.int64)
    inside = (
        (at >= 0) & (plate[candidate] == move_plate) & (move_time <= end[candidate] + tol)
        if order.size
        else at < 0
    )
    inter_event = np.full(n_interactions, -1)
    inter_event[moves[inside]] = candidate[inside]
    detected = np.flatnonzero(source >= 0)
    inter_event[source[detected]] = detected  # an event's main interaction is always its own
    return inter_event


def nearest_on_plate(
    plate: np.ndarray,
    time: np.ndarray,
    ref_plate: np.ndarray,
    ref_time: np.ndarray,
    ref_id: np.ndarray,
    tolerance_s: float,
) -> np.ndarray:
    """For each (plate, time), the id of the reference on the same plate nearest in time (within
    tolerance), or -1: a detected event's interaction, a true reach's flagged reach."""
    key = ref_plate * KEY_STRIDE_S + ref_time
    order = np.argsort(key, kind="stable")
    key = key[order]
    query = plate * KEY_STRIDE_S + time
    right = np.searchsorted(key, query)
    left = np.maximum(right - 1, 0)
    right = np.minimum(right, max(key.size - 1, 0))
    if key.size == 0:
        return np.full(plate.size, -1)
    nearest = np.where(np.abs(key[left] - query) <= np.abs(key[right] - query), left, right)
    close = np.abs(key[nearest] - query) <= tolerance_s
    return np.where(close, ref_id[order][nearest], -1)


def detection_metrics(
    events: ShelfEvents, readings: LoadcellReadings, source: np.ndarray, stream: StreamTruth
) -> dict[str, float]:
    """A detected event matches the true take or put-back nearest in time on its plate (source);
    it is merged if the span it covers holds more than one true event of its plate, and a true
    event is split if more than one detection matched it. Flagged transients count as not
    detected (a design without cameras drops them)."""
    if events.transient is not None:
        kept = ~events.transient
        events = ShelfEvents(events.time_s[kept], events.shelf[kept], events.plate[kept])
        readings = LoadcellReadings(readings.delta_g[kept], readings.variance_g2[kept])
        source = source[kept]
        stream = replace(stream, event_end_s=stream.event_end_s[kept])
    n_true = stream.move_interaction.size
    matched = source >= 0
    hits = np.bincount(np.searchsorted(np.sort(stream.move_interaction), source[matched]), minlength=n_true)
    key = np.sort(stream.move_plate * KEY_STRIDE_S + stream.move_time_s)
    first = np.searchsorted(key, events.plate * KEY_STRIDE_S + events.time_s - 0.5)
    last = np.searchsorted(key, events.plate * KEY_STRIDE_S + stream.event_end_s, side="right")
    merged = (last - first) > 1
    n_events = events.n_events
    return {
        "detection_precision": float(matched.mean()) if n_events else 1.0,
        "detection_recall": float((hits > 0).mean()) if n_true else 1.0,
        "merged_event_share": float(merged.mean()) if n_events else 0.0,
        "split_event_share": float((hits > 1).sum() / max((hits > 0).sum(), 1)),
        "false_events_per_shelf_hour": float((~matched).sum() / stream.shelf_hours)
        if stream.shelf_hours
        else 0.0,
        "dead_plates": float(stream.dead_plates.sum()),
        "events_without_weight": float(np.isnan(readings.delta_g).sum()),
    }
