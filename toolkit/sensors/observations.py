"""What the store's sensors report: the only inputs recognizers, tracking and fusion may read.

No type here refers to the ground truth; event ids index detected events, not true interactions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

SIGNALS: frozenset[str] = frozenset({"loadcell", "pressure", "camera"})
"""The built-in per-event signals a recognizer may declare; a per-event sensor plugin adds its own
name (toolkit.sensors.base.Sensor.per_event)."""
TRIGGER_LOADCELL, TRIGGER_PRESSURE = 0, 1  # ShelfEvents.trigger: which sensor raised the event
# a day lasts under 86,400 s: (an integer key, a time) packs into one sortable float
KEY_STRIDE_S = 2.0e5
DEPART, REAPPEAR = 0, 1  # ShelfTagEvents.change: a tag declared gone from a plate, or read on one again


@dataclass(frozen=True)
class ShelfEvents:
    """Detected shelf events (E): time (s since midnight), shelf and plate where weight changed,
    what triggered each: the load cell (0) or, where the load cell is dead, the pressure mat (1),
    and whether the detector flagged it as half of a transient (a rise undone by an equal fall
    within seconds: a pressing hand, or a put-back taken again at once)."""

    time_s: np.ndarray
    shelf: np.ndarray
    plate: np.ndarray
    trigger: np.ndarray | None = None
    transient: np.ndarray | None = None

    def seen_by(self, signals: frozenset[str]) -> np.ndarray:
        """Events a design with these signals acts on: without a pressure mat, none a mat
        triggered; without cameras to see the hand, no transient (taken for a pressing hand)."""
        seen = np.ones(self.n_events, dtype=bool)
        if self.trigger is not None and "pressure" not in signals:
            seen &= self.trigger == TRIGGER_LOADCELL
        if self.transient is not None and "camera" not in signals:
            seen &= ~self.transient
        return seen

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
    """Per event, the crops its cameras took of the hand at the plate: images (E, V, 3, S, S)
    uint8, which views were usable (E, V), and in which the hand-object detector saw a product
    in the hand (E, V; never in an unusable view)."""

    images: np.ndarray
    visible: np.ndarray
    holding: np.ndarray


@dataclass(frozen=True)
class TagReads:
    """EPCs one RFID reader singulated (R), in time order: the EPC, the SKU it encodes, the signal
    strength (dB above the tag's threshold) and the reader's clock at the read. Nothing says whose
    tag it was."""

    epc: np.ndarray
    sku: np.ndarray
    rssi_db: np.ndarray
    time_s: np.ndarray


@dataclass(frozen=True)
class GateSignal:
    """The exit gate's reads and the store's item-level stock list: the EPCs it tagged and has
    not (as far as its records know) sold."""

    reads: TagReads
    stock_epc: np.ndarray


@dataclass(frozen=True)
class ShelfTagEvents:
    """What smart-shelf readers report (K): a tag declared gone from a plate (change 0, after a run
    of missed inventory cycles) or a tag read on a plate again (change 1), with the SKU it encodes.
    time_s is when the reader says so. The reader's cycles bound when the tag moved: after
    last_read_s (its last read where it was) and by moved_by_s (the next cycle, which missed it;
    for a reappearance both are the read that found it)."""

    change: np.ndarray
    epc: np.ndarray
    sku: np.ndarray
    plate: np.ndarray
    shelf: np.ndarray
    time_s: np.ndarray
    last_read_s: np.ndarray
    moved_by_s: np.ndarray

    @property
    def moved_s(self) -> np.ndarray:
        """The reader's best time for the move: the middle of the cycle that lost the tag."""
        return 0.5 * (self.last_read_s + self.moved_by_s)


@dataclass(frozen=True)
class Presence:
    """Shoppers seen standing at the event's shelf (E, C): visit id (-1 pad), position along the
    shelf (m, NaN pad) and, where tracks give it, distance back from the shelf's front (m, NaN
    pad; None when the camera model gives no depth) as the ceiling cameras estimate them."""

    candidate_visit: np.ndarray
    candidate_pos_m: np.ndarray
    candidate_depth_m: np.ndarray | None = None

    @classmethod
    def packed(
        cls, seen: np.ndarray, visit: np.ndarray, position_m: np.ndarray, depth_m: np.ndarray | None = None
    ) -> Presence:
        """The candidates where `seen` (E, W), packed to the left and cut to as many columns as
        the busiest event needs (at least one), padding -1 / NaN."""
        n_cols = max(int(seen.sum(axis=1).max(initial=0)), 1)
        if seen.shape[1] == 0:
            empty = np.full((seen.shape[0], 1), np.nan)
            return cls(np.full((seen.shape[0], 1), -1), empty, None if depth_m is None else empty.copy())
        compact = np.argsort(~seen, axis=1, kind="stable")[:, :n_cols]

        def pack(values: np.ndarray, pad: float) -> np.ndarray:
            return np.take_along_axis(np.where(seen, values, pad), compact, 1)

        return cls(
            candidate_visit=pack(visit, -1),
            candidate_pos_m=pack(position_m, np.nan),
            candidate_depth_m=None if depth_m is None else pack(depth_m, np.nan),
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
class ShelfReaches:
    """Hands the shelf cameras saw reach into a slot (R), in time order: when, shelf and plate.
    Whether the hand came back with a product is not said: that is the shelf sensors' part."""

    time_s: np.ndarray
    shelf: np.ndarray
    plate: np.ndarray


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
    readings: Mapping[str, Any] = field(default_factory=dict)  # signal name -> that sensor's report
    presence: Presence | None = None
    entry: EntryScans | None = None
    records: PurchaseRecords | None = None
    reaches: ShelfReaches | None = None


def arrays_in(item: Any) -> Iterator[np.ndarray]:
    """Every array inside dataclasses and mappings, however nested."""
    if isinstance(item, np.ndarray):
        yield item
    elif isinstance(item, Mapping):
        for value in item.values():
            yield from arrays_in(value)
    elif is_dataclass(item) and not isinstance(item, type):
        for field in fields(item):
            yield from arrays_in(getattr(item, field.name))


def read_only(item: Any) -> None:
    """Lock every array inside `item` for good (designs share the observations: none may write)."""
    for array in arrays_in(item):
        array.flags.writeable = False


@contextmanager
def locked(item: Any) -> Iterator[None]:
    """Every array of `item` read-only for a while, then as it was."""
    arrays = [a for a in arrays_in(item) if a.flags.writeable]
    for array in arrays:
        array.flags.writeable = False
    try:
        yield
    finally:
        # owners before views: a view may be writeable again only once its base is
        for array in sorted(arrays, key=lambda a: a.base is not None):
            array.flags.writeable = True


PROVENANCE: dict[str, tuple[str, str]] = {
    "ShelfEvents.time_s": (
        "toolkit.sensors.loadcell_stream",
        "onset of a detector alarm on a plate's stream",
    ),
    "ShelfEvents.shelf": ("toolkit.sensors.loadcell_stream", "the shelf of the plate that alarmed"),
    "ShelfEvents.plate": ("toolkit.sensors.loadcell_stream", "the plate whose stream alarmed"),
    "ShelfEvents.trigger": ("toolkit.sensors.loadcell_stream", "which sensor alarmed: load cell or mat"),
    "ShelfEvents.transient": ("toolkit.sensors.loadcell_stream", "a rise undone by an equal fall"),
    "LoadcellReadings.delta_g": ("toolkit.sensors.loadcell_stream", "filtered level after minus before"),
    "LoadcellReadings.variance_g2": ("toolkit.sensors.loadcell_stream", "the level filter's variance"),
    "PressureReadings.position_m": ("toolkit.sensors.pressure", "centre of the mat's pressure change"),
    "PressureReadings.variance_m2": ("toolkit.sensors.pressure", "the mat's position spread"),
    "CameraCrops.images": ("toolkit.sensors.camera", "rendered crops of the hand at the plate"),
    "CameraCrops.visible": ("toolkit.sensors.camera", "views that were not lost"),
    "CameraCrops.holding": ("toolkit.sensors.camera", "the hand-object detector: a product in hand"),
    "TagReads.epc": ("toolkit.sensors.rfid_gate", "the EPC the reader singulated"),
    "TagReads.sku": ("toolkit.sensors.rfid_gate", "the SKU that EPC encodes"),
    "TagReads.rssi_db": ("toolkit.sensors.rfid_gate", "signal strength of the read"),
    "TagReads.time_s": ("toolkit.sensors.rfid_gate", "the reader's clock at the read"),
    "GateSignal.reads": ("toolkit.sensors.rfid_gate", "the gate reader's reads"),
    "GateSignal.stock_epc": ("toolkit.sensors.rfid_gate", "the store's EPC stock list (its own records)"),
    "ShelfTagEvents.change": ("toolkit.sensors.rfid_shelf", "departure (missed cycles) or reappearance"),
    "ShelfTagEvents.epc": ("toolkit.sensors.rfid_shelf", "the EPC of the tag"),
    "ShelfTagEvents.sku": ("toolkit.sensors.rfid_shelf", "the SKU that EPC encodes"),
    "ShelfTagEvents.plate": ("toolkit.sensors.rfid_shelf", "the antenna (plate) that read it"),
    "ShelfTagEvents.shelf": ("toolkit.sensors.rfid_shelf", "the shelf of that antenna"),
    "ShelfTagEvents.time_s": ("toolkit.sensors.rfid_shelf", "the cycle at which the reader says so"),
    "ShelfTagEvents.last_read_s": ("toolkit.sensors.rfid_shelf", "the last cycle the tag was read in"),
    "ShelfTagEvents.moved_by_s": ("toolkit.sensors.rfid_shelf", "the next cycle, which missed it"),
    "Presence.candidate_visit": (
        "toolkit.tracking",
        "tracks (born at an entry scan) at the shelf; direct mode: toolkit.sensors.presence, an oracle",
    ),
    "Presence.candidate_pos_m": ("toolkit.tracking", "their estimated position along the shelf"),
    "Presence.candidate_depth_m": ("toolkit.tracking", "their estimated distance from the shelf's front"),
    "ShelfReaderSignal.events": ("toolkit.sensors.rfid_shelf", "the shelf readers' tag events"),
    "ShelfReaderSignal.presence": ("toolkit.tracking", "tracks at the shelf at each tag event"),
    "CameraDetections.frame": ("toolkit.sensors.walks", "camera frame of a person detection"),
    "CameraDetections.xy": ("toolkit.sensors.walks", "detected floor position"),
    "CameraDetections.appearance": ("toolkit.sensors.walks", "re-identification embedding"),
    "CameraDetections.frame_hz": ("toolkit.sensors.walks", "the cameras' frame rate"),
    "EntryScans.visit_shopper": ("toolkit.sensors.door", "the account of the QR code scanned at entry"),
    "EntryScans.visit_exit_s": ("toolkit.sensors.door", "the exit scan's clock (a timeout if missed)"),
    "EntryScans.visit_arrival_s": ("toolkit.sensors.door", "the entry scan's clock"),
    "EntryScans.visit_appearance": ("toolkit.sensors.walks", "the door camera's embedding at the scan"),
    "ShelfReaches.time_s": ("toolkit.sensors.camera", "when a camera saw a hand reach into a slot"),
    "ShelfReaches.shelf": ("toolkit.sensors.camera", "the shelf it reached into"),
    "ShelfReaches.plate": ("toolkit.sensors.camera", "the plate of that slot"),
    "PurchaseRecords.counts": ("toolkit.sensors.door", "the store's own past receipts per account"),
}
"""Every field a design can receive, with the sensor model that fills it and what that model
measures; tests/test_truth_leaks.py checks that nothing else reaches a design."""

IDENTITY_FIELDS: frozenset[str] = frozenset(
    {
        "EntryScans.visit_shopper",
        "EntryScans.visit_exit_s",
        "EntryScans.visit_arrival_s",
        "EntryScans.visit_appearance",
        "Presence.candidate_visit",
    }
)
"""The only fields that may name a visit: the door's scans and tracks born at them."""
