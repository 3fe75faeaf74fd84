"""The store's doors: the QR scan at the entry turnstile and the exit gate's detection.

Every design needs both: the entry scan opens a visit (its account and when it came in) and the
exit gate closes it. Both are sensors, not the truth: each timestamp carries the scanner's or the
gate's latency jitter (`scan_jitter_s`), and the exit gate misses a share of exits
(`p_exit_missed`: tailgating through an open gate, a glitch). A visit whose exit nobody saw is
closed `missed_exit_timeout_s` after its entry scan, as an app session times out.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from toolkit.config import (
    NonNegative,
    Positive,
    Probability,
    Settings,
)
from toolkit.sensors.observations import EntryScans
from toolkit.shoppers import GroundTruth


class DoorParams(Settings):
    config_path: ClassVar[str] = "sensor.door"

    scan_jitter_s: NonNegative
    p_exit_missed: Probability
    missed_exit_timeout_s: Positive


def observe_doors(truth: GroundTruth, params: DoorParams, rng: np.random.Generator) -> EntryScans:
    """Entry and exit scans of every visit (the door camera adds its look where there is one)."""
    n = truth.n_visits
    arrival = truth.visit_arrival_s + params.scan_jitter_s * np.abs(rng.standard_normal(n))
    exit_seen = truth.visit_exit_s + params.scan_jitter_s * np.abs(rng.standard_normal(n))
    missed = rng.random(n) < params.p_exit_missed
    exit_s = np.where(missed, arrival + params.missed_exit_timeout_s, np.maximum(exit_seen, arrival))
    return EntryScans(visit_shopper=truth.visit_shopper.copy(), visit_exit_s=exit_s, visit_arrival_s=arrival)
