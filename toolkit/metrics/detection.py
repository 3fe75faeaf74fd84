"""Event detection against the truth: precision, recall, merged and split events, false events."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from toolkit.sensors.loadcell_stream import StreamTruth
from toolkit.sensors.observations import LoadcellReadings, ShelfEvents

_PLATE_STRIDE_S = 1.0e6


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
    key = np.sort(stream.move_plate * _PLATE_STRIDE_S + stream.move_time_s)
    first = np.searchsorted(key, events.plate * _PLATE_STRIDE_S + events.time_s - 0.5)
    last = np.searchsorted(key, events.plate * _PLATE_STRIDE_S + stream.event_end_s, side="right")
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
