"""The recognizer protocol, its evidence type, and the public conformance checker.

A recognizer turns the signals of a batch of detected events into log-likelihoods over each
event's hypotheses. It is built from config (``_target_``), prepared once per run with the world
and its own seeded generator, and declares the signals it consumes so a system knows which
sensors (and costs) it needs. Downstream projects run `check_recognizer` on their own
recognizers, as Gymnasium's ``check_env`` is run on environments.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from toolkit.hypotheses import EventHypotheses, HypothesisSpace, build_hypothesis_space
from toolkit.sensors.observations import SIGNALS, ShelfEvents, read_only
from toolkit.sensors.synthetic import SYNTHETIC_READINGS
from toolkit.world import World

FORBIDDEN_MODULES = ("toolkit.shoppers", "toolkit.metrics")
DEFAULT_HYPOTHESES = {"max_count": 3, "mixed_max_count": 2, "misplaced_floor": True, "null_hypothesis": True}


@dataclass(frozen=True)
class EventBatch:
    """What a recognizer sees for E events: where and when, the hypotheses, and sensor readings.

    ``readings`` maps a signal name (see ``SIGNALS``) to that sensor's per-event readings.
    Arrays are read-only: a recognizer must not write into its inputs.
    """

    events: ShelfEvents
    hypotheses: EventHypotheses
    readings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_events(self) -> int:
        return self.events.n_events


@dataclass(frozen=True)
class Evidence:
    """Log-likelihoods (E, H) of each event's observations under each hypothesis.

    Finite or -inf (impossible) on valid hypotheses; -inf on padding. A row with no usable
    observation is flat (all valid cells equal), which leaves the posterior at the prior.
    """

    loglik: np.ndarray
    source: str


@runtime_checkable
class Recognizer(Protocol):
    """Evidence from one kind of reading: log-likelihoods of every event's hypotheses given the
    signals it declares (`signals`: the names of the per-event signals it reads, which decide the
    sensors a design that fuses it pays for). Built from config by `_target_`; `check_recognizer`
    says whether one honours the protocol."""

    signals: ClassVar[frozenset[str]]

    def prepare(self, world: World, rng: np.random.Generator) -> None:
        """Called once per run, before any evidence: cache catalog-derived state, seed noise."""

    def evidence(self, batch: EventBatch) -> Evidence:
        """Log-likelihoods over the hypotheses of every event in the batch."""


class BaseRecognizer:
    """Convenience base: keeps the world and generator from `prepare`."""

    signals: ClassVar[frozenset[str]] = frozenset()
    world: World
    rng: np.random.Generator

    def prepare(self, world: World, rng: np.random.Generator) -> None:
        self.world = world
        self.rng = rng

    def evidence(self, batch: EventBatch) -> Evidence:
        raise NotImplementedError

    def sharing_key(self) -> tuple[tuple[object, ...], Hashable] | None:
        """What this recognizer's evidence depends on besides its class, the world and the batch,
        so that designs fusing it score a batch once: objects matched by identity and a label of
        names and numbers (its settings). None, the default, never shares: right for a recognizer
        that draws on its generator, whose evidence differs per design. Only a class's own
        definition counts: a subclass that does not define one scores per design."""
        return None


class RecognizerCheckError(AssertionError):
    """A recognizer breaks the protocol; the message says how."""


def _fail(recognizer: Any, message: str) -> RecognizerCheckError:
    return RecognizerCheckError(f"{type(recognizer).__qualname__}: {message}")


def _check_imports(recognizer: Any) -> None:
    module = sys.modules.get(type(recognizer).__module__)
    for name, value in vars(module).items() if module else ():
        origin = getattr(value, "__module__", None) if not inspect.ismodule(value) else value.__name__
        if isinstance(origin, str) and origin.startswith(FORBIDDEN_MODULES):
            raise _fail(
                recognizer, f"its module imports {origin}.{name}: a recognizer must not read the ground truth"
            )


def synthetic_batch(
    world: World,
    space: HypothesisSpace,
    signals: frozenset[str],
    n_events: int,
    rng: np.random.Generator,
    p_missing: float = 0.2,
    sensors: Mapping[str, Any] | None = None,
) -> EventBatch:
    """A batch of events on random plates with plausible readings for each signal (built-in ones,
    or a per-event sensor plugin's `synthetic`); no ground truth."""
    plates = rng.integers(world.planogram.n_plates, size=n_events)
    hyps = space.for_plates(plates)
    events = ShelfEvents(
        time_s=np.sort(rng.uniform(7 * 3600, 23 * 3600, n_events)),
        shelf=world.planogram.plate_shelf[plates],
        plate=plates,
    )
    sensors = sensors or {}
    readings = {
        s: sensors[s].synthetic(world, hyps, rng, p_missing)
        if s in sensors
        else SYNTHETIC_READINGS[s](world, hyps, rng, p_missing)
        for s in signals
    }
    read_only(readings)
    return EventBatch(events=events, hypotheses=hyps, readings=readings)


def _missing_rows(batch: EventBatch) -> np.ndarray:
    """Events where every declared signal is missing: a NaN reading, or no visible view."""
    missing = np.ones(batch.n_events, dtype=bool)
    for reading in batch.readings.values():
        row_nan = np.zeros(batch.n_events, dtype=bool)
        visible = getattr(reading, "visible", None)
        if isinstance(visible, np.ndarray) and visible.dtype == bool:
            row_nan |= ~visible.reshape(batch.n_events, -1).any(axis=1)
        for value in vars(reading).values():
            if (
                isinstance(value, np.ndarray)
                and value.dtype.kind == "f"
                and value.shape[:1] == (batch.n_events,)
            ):
                row_nan |= np.isnan(value.reshape(batch.n_events, -1)).any(axis=1)
        missing &= row_nan
    return missing


def check_evidence(recognizer: Any, batch: EventBatch, evidence: Any) -> np.ndarray:
    """The passive check on every call: Evidence of shape (E, H), floating, no NaN or +inf, -inf
    on padding. Returns the log-likelihoods."""
    if not isinstance(evidence, Evidence):
        raise _fail(recognizer, f"evidence() must return Evidence, got {type(evidence).__name__}")
    loglik = np.asarray(evidence.loglik)
    expected = batch.hypotheses.shape
    if loglik.shape != expected:
        raise _fail(
            recognizer, f"loglik has shape {loglik.shape}, expected (events, hypotheses) = {expected}"
        )
    if loglik.dtype.kind != "f":
        raise _fail(recognizer, f"loglik must be floating point, got dtype {loglik.dtype}")
    if np.isnan(loglik).any():
        raise _fail(recognizer, f"loglik contains NaN in {int(np.isnan(loglik).sum())} cells")
    if np.isposinf(loglik).any():
        raise _fail(recognizer, "loglik contains +inf")
    if np.isfinite(loglik[~batch.hypotheses.valid]).any():
        raise _fail(recognizer, "loglik must be -inf on padded (invalid) hypotheses")
    return loglik


def check_recognizer(
    recognizer: Any,
    world: World,
    seed: int = 0,
    n_events: int = 64,
    hypotheses_cfg: Mapping[str, Any] | None = None,
    sensors: Mapping[str, Any] | None = None,
) -> None:
    """Raise RecognizerCheckError unless `recognizer` honours the protocol on `world`. A
    recognizer of a plugin sensor's signal needs that sensor in `sensors` (name -> sensor), whose
    `synthetic` readings it is fed.

    Checks: declared signals are known; evidence has shape (E, H), is float, has no NaN or +inf,
    is -inf on padding; rows without observations are flat; an empty batch works; the same seed
    gives the same evidence; inputs are not written; the module does not import the ground truth.
    """
    declared = getattr(recognizer, "signals", None)
    if not isinstance(declared, frozenset) or not declared:
        raise _fail(recognizer, "must declare `signals`, a non-empty frozenset of signal names")
    per_event = {name for name, sensor in (sensors or {}).items() if getattr(sensor, "per_event", False)}
    known = SIGNALS | per_event
    unknown = declared - known
    if unknown:
        raise _fail(recognizer, f"declares unknown signals {sorted(unknown)}; known: {sorted(known)}")
    for method in ("prepare", "evidence"):
        if not callable(getattr(recognizer, method, None)):
            raise _fail(recognizer, f"has no {method}() method")
    _check_imports(recognizer)

    space = build_hypothesis_space(world, hypotheses_cfg or DEFAULT_HYPOTHESES)
    batch = synthetic_batch(world, space, declared, n_events, np.random.default_rng(seed), sensors=sensors)
    runs = []
    for _ in range(2):
        recognizer.prepare(world, np.random.default_rng(seed + 1))
        try:
            evidence = recognizer.evidence(batch)
        except ValueError as err:
            if "read-only" in str(err):
                raise _fail(recognizer, f"writes into its input arrays ({err})") from err
            raise
        runs.append(check_evidence(recognizer, batch, evidence))
    if not np.array_equal(runs[0], runs[1]):
        raise _fail(recognizer, "same seed, same batch, different evidence: it must be deterministic")

    missing = _missing_rows(batch)
    loglik, valid = runs[0], batch.hypotheses.valid
    for row in np.flatnonzero(missing):
        cells = loglik[row][valid[row]]
        if not (np.all(np.isfinite(cells)) and np.ptp(cells) == 0):
            raise _fail(recognizer, f"event {row} has no observation, so its row must be flat and finite")

    empty = replace(
        batch,
        events=ShelfEvents(*(a[:0] for a in (batch.events.time_s, batch.events.shelf, batch.events.plate))),
        hypotheses=EventHypotheses(*(a[:0] for a in vars(batch.hypotheses).values())),
        readings={k: type(v)(*(a[:0] for a in vars(v).values())) for k, v in batch.readings.items()},
    )
    check_evidence(recognizer, empty, recognizer.evidence(empty))
