"""The sensor protocol, what a sensor model may read, and the public conformance checker.

A sensor is the one place that may read the ground truth: it turns what happened into what the
store's hardware would report. Every sensor beyond the store's backbone (the door scanners, the
load-cell plates that detect shelf events and the ceiling cameras that follow shoppers) is a
plugin: a class built from its config node's ``_target_`` under ``sensor.<name>``, whose signal
designs receive as ``Observations.readings[<name>]``. It says what it costs (hardware line items,
and what each stocked unit must carry, such as a tag) and how the judge scores it. Downstream
projects run `check_sensor` on their own sensors, as Gymnasium's ``check_env`` is run on
environments; the pipeline runs its passive part on every run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from toolkit.hypotheses import EventHypotheses
from toolkit.sensors.observations import Presence, ShelfEvents, locked
from toolkit.world import MATERIALS, World

if TYPE_CHECKING:  # the judge's and the store's types, for annotations only
    from toolkit.metrics.cost import PriceBook, StoreFacts
    from toolkit.metrics.data_yield import Capture
    from toolkit.sensors.presence import PresenceParams
    from toolkit.shoppers import GroundTruth, ShopperParams
    from toolkit.tracking import Tracks

Hardware = dict[str, tuple[float, float]]
"""Line item -> (capex in USD, electrical power in W)."""


@dataclass(frozen=True)
class SensingContext:
    """What a sensor model may read to synthesise its signal: the store, the day's truth, the
    detected shelf events every per-event signal is aligned to (with the judge's link from each to
    the interaction behind it), and what the ceiling cameras made of the shoppers."""

    world: World
    truth: GroundTruth
    shoppers: ShopperParams
    events: ShelfEvents
    source: np.ndarray  # per detected event: the interaction behind it (-1: nothing moved)
    inter_event: np.ndarray  # per interaction: the detected event it was merged into (-1: none)
    presence: Presence
    presence_params: PresenceParams
    tracks: Tracks | None
    zone_depth_m: float


@dataclass(frozen=True)
class Sensed:
    """A sensor's day: `signal` is what designs receive; `truth` is what happened inside the
    sensor (which tag was whose, which unit was missed), for its metrics only."""

    signal: Any
    truth: Any = None


@runtime_checkable
class Sensor(Protocol):
    """A physical sensor model: signal from the truth, its price, and the judge's view of it.

    `per_event` sensors report one reading per detected shelf event (what recognizers read) and
    give `synthetic` readings for `check_recognizer`; the others report on their own timeline
    (tag reads) for a decoder."""

    per_event: ClassVar[bool]

    def observe(self, ctx: SensingContext, rng: np.random.Generator) -> Sensed:
        """The day's signal, drawn with the sensor's own generator."""

    def hardware(self, store: StoreFacts, prices: PriceBook) -> Hardware:
        """Capex and power per line item for a store of this size ({} for none of its own)."""

    def unit_cost(self, prices: PriceBook) -> np.ndarray | None:
        """Per packaging material (indexed like MATERIALS), what each stocked unit must carry for
        this sensor to see it (a tag and its labour), or None."""

    def synthetic(
        self, world: World, hypotheses: EventHypotheses, rng: np.random.Generator, p_missing: float
    ) -> Any:
        """Plausible per-event readings for a batch of hypotheses, without the truth (per-event
        sensors only): what `check_recognizer` feeds a recognizer of this signal."""

    def metrics(self, sensed: Sensed, ctx: SensingContext, output: Any) -> dict[str, float | None]:
        """The judge's metrics of this sensor under a design's output (may read `sensed.truth`)."""

    def captures(self, sensed: Sensed, ctx: SensingContext, output: Any) -> dict[str, Capture]:
        """Behavioural events this sensor lets a design record ({} for none)."""


class BaseSensor:
    """Convenience base: not per event, no hardware of its own, nothing carried per unit, no
    metrics or captures."""

    per_event: ClassVar[bool] = False

    def observe(self, ctx: SensingContext, rng: np.random.Generator) -> Sensed:
        raise NotImplementedError

    def hardware(self, store: StoreFacts, prices: PriceBook) -> Hardware:
        return {}

    def unit_cost(self, prices: PriceBook) -> np.ndarray | None:
        return None

    def synthetic(
        self, world: World, hypotheses: EventHypotheses, rng: np.random.Generator, p_missing: float
    ) -> Any:
        raise NotImplementedError(f"{type(self).__name__} reports no per-event readings")

    def metrics(self, sensed: Sensed, ctx: SensingContext, output: Any) -> dict[str, float | None]:
        return {}

    def captures(self, sensed: Sensed, ctx: SensingContext, output: Any) -> dict[str, Capture]:
        return {}


class SensorCheckError(AssertionError):
    """A sensor breaks the protocol; the message names the sensor and says how."""


def _fail(name: str, sensor: Any, message: str) -> SensorCheckError:
    return SensorCheckError(f"sensor.{name} ({type(sensor).__qualname__}): {message}")


METHODS = ("observe", "hardware", "unit_cost", "synthetic", "metrics", "captures")


def check_sensor_shape(name: str, sensor: Any) -> None:
    """The passive check at build time: every method of the protocol is there."""
    for method in METHODS:
        if not callable(getattr(sensor, method, None)):
            raise _fail(name, sensor, f"has no {method}() method (subclass toolkit.sensors.BaseSensor)")
    if not isinstance(getattr(sensor, "per_event", None), bool):
        raise _fail(name, sensor, "must say whether it reports per event: per_event = True or False")


def check_sensed(name: str, sensor: Any, sensed: Any, n_events: int) -> None:
    """The passive check on every run: a Sensed with a signal; a per-event sensor's arrays have
    one row per detected event; no float array holds an infinity (NaN marks a missing value)."""
    if not isinstance(sensed, Sensed):
        raise _fail(name, sensor, f"observe() must return Sensed, got {type(sensed).__name__}")
    signal = sensed.signal
    if not dataclasses.is_dataclass(signal):
        raise _fail(name, sensor, f"its signal must be a dataclass of arrays, got {type(signal).__name__}")
    for field in dataclasses.fields(signal):
        value = getattr(signal, field.name)
        if not isinstance(value, np.ndarray):
            continue
        if getattr(sensor, "per_event", False) and value.shape[:1] != (n_events,):
            raise _fail(name, sensor, f"{field.name} has shape {value.shape}; per-event: {n_events} rows")
        if value.dtype.kind == "f" and np.isinf(value).any():
            raise _fail(name, sensor, f"{field.name} holds infinities (NaN marks a missing value)")


def check_hardware(name: str, sensor: Any, items: Any, unit: Any) -> None:
    """The passive check on what a sensor costs: finite, non-negative line items, and a per-unit
    cost per packaging material (or None)."""
    if not isinstance(items, Mapping):
        raise _fail(name, sensor, f"hardware() must return a dict, got {type(items).__name__}")
    for item, pair in items.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(np.isfinite(v) and v >= 0 for v in pair)):
            raise _fail(
                name, sensor, f"hardware item {item!r} must be (capex >= 0, watts >= 0), got {pair!r}"
            )
    if unit is not None:
        unit = np.asarray(unit)
        if unit.shape != (len(MATERIALS),) or not np.all(np.isfinite(unit) & (unit >= 0)):
            raise _fail(name, sensor, f"unit_cost() must give {len(MATERIALS)} costs >= 0, got {unit!r}")


def add_own(into: dict[str, Any], more: Mapping[str, Any], owner: str) -> None:
    """A plugin's own line items, metrics or captures, which must not overwrite what is there."""
    taken = set(more) & set(into)
    if taken:
        raise ValueError(f"{owner}: reports {sorted(taken)}, which another part already reports")
    into.update(more)


def check_sensor(name: str, sensor: Any, ctx: SensingContext, seed: int = 0) -> Sensed:
    """Raise SensorCheckError unless `sensor` honours the protocol on a day's `ctx` (for example
    `SensedDay.context` of a small run): the methods are there; observe() returns a Sensed whose
    per-event arrays match the events; the same seed gives the same signal; it does not write
    into what it reads. What it costs is checked whenever a design is billed (`check_hardware`)."""
    check_sensor_shape(name, sensor)
    try:
        with locked(ctx):  # as the pipeline observes: nothing a sensor reads may change
            runs = [sensor.observe(ctx, np.random.default_rng(seed)) for _ in range(2)]
    except ValueError as err:
        if "read-only" in str(err):
            raise _fail(name, sensor, f"writes into the truth or the events ({err})") from err
        raise
    for sensed in runs:
        check_sensed(name, sensor, sensed, ctx.events.n_events)
    same = _same(runs[0].signal, runs[1].signal)
    if not same:
        raise _fail(name, sensor, "same seed, same day, different signal: it must draw only from its rng")
    return runs[0]


def _same(a: Any, b: Any) -> bool:
    """Equal field by field, through nested dataclasses; NaN equals NaN."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            _same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    return bool(a == b)
