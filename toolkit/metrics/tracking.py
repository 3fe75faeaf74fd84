"""How well the tracks followed the shoppers: the camera design's attribution rests on them."""

from __future__ import annotations

import numpy as np

from toolkit.sensors.walks import WalkTruth
from toolkit.tracking import Tracks

ON_TARGET_M = 0.5  # about a body's width: closer than this, the track is on its shopper
LOST_M = 1.0  # farther than this, the track is on someone else or nobody


def track_error(tracks: Tracks, walk: WalkTruth) -> np.ndarray:
    """Distance (N,) from each shopper-frame's true position to its track's estimate there; NaN
    where the visit had no track (before its entry scan, after the exit gate). The judge's: the
    tracking metrics and the path captures both read it."""
    return tracks.distance_at(walk.sample_visit, walk.sample_frame, walk.sample_xy)


def tracking_metrics(walk: WalkTruth, error: np.ndarray) -> dict[str, float | None]:
    """Share of shopper-frames whose track is on its shopper (a frame with no track yet, between
    entering and the entry scan's timestamp, counts as off), the median position error, the share
    of visits whose track never strayed while it existed (one stray sends later takes to a wrong
    cart), and the share of shopper-frames with no track at all; `error` is `track_error`'s."""
    if walk.sample_visit.size == 0:
        return {
            "track_on_target": None,
            "track_median_error_m": None,
            "track_visits_never_lost": None,
            "track_frames_untracked": None,
        }
    tracked = np.isfinite(error)
    lost = np.bincount(
        walk.sample_visit[tracked & (error > LOST_M)], minlength=int(walk.sample_visit.max()) + 1
    )
    present = np.bincount(walk.sample_visit) > 0
    return {
        "track_on_target": float((tracked & (error < ON_TARGET_M)).mean()),
        "track_median_error_m": float(np.median(np.where(tracked, error, np.inf))),
        "track_visits_never_lost": float((lost[present] == 0).mean()),
        "track_frames_untracked": float((~tracked).mean()),
    }
