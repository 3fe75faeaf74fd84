"""What the store's sensors report: the only inputs recognizers, tracking and fusion may read.

No type here refers to the ground truth; event ids index detected events, not true interactions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SIGNALS: frozenset[str] = frozenset({"loadcell", "pressure", "camera"})
TRIGGER_LOADCELL, TRIGGER_PRESSURE = 0, 1
"""Per-event signal names a recognizer may declare; later sensors (pressure, camera, rfid) add theirs."""


@dataclass(frozen=True)
class ShelfEvents:
    """Detected shelf events (E): time (s since midnight), shelf and plate where weight changed, and
    what triggered each: the load cell (0) or, where the load cell is dead, the pressure mat (1)."""

    time_s: np.ndarray
    shelf: np.ndarray
    plate: np.ndarray
    trigger: np.ndarray | None = None

    def seen_by(self, signals: frozenset[str]) -> np.ndarray:
        """Events a design with these signals detects at all (no pressure mat: no mat-triggered events)."""
        if self.trigger is None or "pressure" in signals:
            return np.ones(self.n_events, dtype=bool)
        return self.trigger == TRIGGER_LOADCELL

    @property
    def n_events(self) -> int:
        return int(self.time_s.shape[0])


@dataclass(frozen=True)
class LoadcellReadings:
    """Per-event weight change (g; negative when weight left the plate) and its variance (g²).

    NaN marks a missing measurement (dropped samples, a saturated cell).
    """

    delta_g: np.ndarray
    variance_g2: np.ndarray


@dataclass(frozen=True)
class PressureReadings:
    """Per event, where along the shelf the pressure mat saw the load change (m from the shelf's
    left end) and the variance of that position (m²); NaN where the mat saw nothing."""

    position_m: np.ndarray
    variance_m2: np.ndarray


@dataclass(frozen=True)
class CameraCrops:
    """Per event, the crops its cameras took of the product in the hand: images (E, V, 3, S, S)
    uint8 and which views saw a product at all (E, V)."""

    images: np.ndarray
    visible: np.ndarray


@dataclass(frozen=True)
class TagReads:
    """EPCs an RFID reader singulated (R): during which visit's gate pass, the SKU the tag encodes,
    the signal strength (dB above the tag's threshold) and the time of the read."""

    pass_visit: np.ndarray
    epc: np.ndarray
    sku: np.ndarray
    rssi_db: np.ndarray
    time_s: np.ndarray


@dataclass(frozen=True)
class ShelfTagEvents:
    """What smart-shelf readers report (K): a tag declared gone from a plate (kind 0, after a run
    of missed inventory cycles) or a tag read on a plate again (kind 1), with the SKU it encodes.
    time_s is when the reader says so; last_read_s when the tag was last read where it was."""

    kind: np.ndarray
    epc: np.ndarray
    sku: np.ndarray
    plate: np.ndarray
    shelf: np.ndarray
    time_s: np.ndarray
    last_read_s: np.ndarray


@dataclass(frozen=True)
class Presence:
    """Shoppers seen standing at the event's shelf (E, C): visit id (-1 pad) and position along the
    shelf (m, NaN pad) as the ceiling cameras estimate it."""

    candidate_visit: np.ndarray
    candidate_pos_m: np.ndarray

    @classmethod
    def packed(cls, seen: np.ndarray, visit: np.ndarray, position_m: np.ndarray) -> Presence:
        """The candidates where `seen` (E, W), packed to the left and cut to as many columns as
        the busiest event needs (at least one), padding -1 / NaN."""
        n_cols = max(int(seen.sum(axis=1).max(initial=0)), 1)
        if seen.shape[1] == 0:
            return cls(np.full((seen.shape[0], 1), -1), np.full((seen.shape[0], 1), np.nan))
        compact = np.argsort(~seen, axis=1, kind="stable")[:, :n_cols]
        return cls(
            candidate_visit=np.take_along_axis(np.where(seen, visit, -1), compact, 1),
            candidate_pos_m=np.take_along_axis(np.where(seen, position_m, np.nan), compact, 1),
        )


@dataclass(frozen=True)
class ShelfReaderSignal:
    """Smart-shelf tag events with the cameras' view of who stood at the shelf for each of them."""

    events: ShelfTagEvents
    presence: Presence


@dataclass(frozen=True)
class CameraDetections:
    """Ceiling-camera person detections (D), sorted by frame: frame index (time = frame / frame_hz),
    floor position (D, 2) in metres and a re-identification embedding (D, k) of the person's look.
    No identity: keeping it is the tracker's job."""

    frame: np.ndarray
    xy: np.ndarray
    appearance: np.ndarray
    frame_hz: float


def visit_frames(arrival_s: np.ndarray, exit_s: np.ndarray, frame_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """First and last camera frame of each visit: the frames between its entry scan and its exit."""
    first = np.ceil(arrival_s * frame_hz).astype(np.int64)
    last = np.maximum(np.floor(exit_s * frame_hz).astype(np.int64), first)
    return first, last


@dataclass(frozen=True)
class EntryScans:
    """QR scans at the door: the shopper id of each visit (V), when the exit gate saw it leave, and
    (where cameras watch the door) when it came in and the door camera's appearance embedding of it
    (V, k): what a track is born with."""

    visit_shopper: np.ndarray
    visit_exit_s: np.ndarray
    visit_arrival_s: np.ndarray | None = None
    visit_appearance: np.ndarray | None = None


@dataclass(frozen=True)
class PurchaseRecords:
    """Past receipts, as counts per (shopper, SKU), and store-wide popularity from them."""

    counts: np.ndarray

    @property
    def popularity(self) -> np.ndarray:
        totals = self.counts.sum(axis=0).astype(float) + 1.0
        return totals / totals.sum()


@dataclass(frozen=True)
class Observations:
    """Everything one store-day's sensors produced, keyed for the systems."""

    events: ShelfEvents
    signals: Mapping[str, Any] = field(default_factory=dict)
    presence: Presence | None = None
    entry: EntryScans | None = None
    records: PurchaseRecords | None = None
