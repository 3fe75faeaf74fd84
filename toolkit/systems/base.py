"""What a checkout design is, what it returns, and the public conformance checker.

A design turns one store-day's observations into one receipt per visit. It is built from its
config node's ``_target_`` under ``system.<name>`` (the builder passes `name`, and, where the node
lists ``recognizers``, fresh instances of those recognizers), says which signals it reads and
which sensors it pays for, and returns either per-event decisions (`SystemOutput`) or baskets
decoded straight from a sensor (`BasketOutput`). It sees observations and the human reviewer,
never the truth, and only what its own sensors measure (the pipeline hands each design a view
of the observations cut to its `sensors`). `check_system_shape` runs when a design is built and
`check_output` on everything it returns, on every run; downstream projects run both on theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from toolkit.hypotheses import HypothesisSpace
from toolkit.sensors.observations import Observations
from toolkit.world import World


class Reviewer(Protocol):
    def review(
        self,
        events: np.ndarray,
        proposed_sku: np.ndarray,
        proposed_count: np.ndarray,
        proposed_visit: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

    def extras(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class SystemOutput:
    """Per detected event (E): the machine's MAP lines and confidence, attribution, review and the
    final lines after review; per visit: receipts (V, n_skus) in units. `visible` marks the events
    this design detects at all (without pressure mats, events only a mat triggered are unseen and
    decided as "nothing moved")."""

    visible: np.ndarray
    map_sku: np.ndarray
    map_count: np.ndarray
    confidence: np.ndarray
    fallback: np.ndarray
    attributed_visit: np.ndarray
    attribution_confidence: np.ndarray
    reviewed: np.ndarray
    final_sku: np.ndarray
    final_count: np.ndarray
    final_visit: np.ndarray
    receipts: np.ndarray


@dataclass(frozen=True)
class BasketOutput:
    """What a rule-based design produces: receipts (V, n_skus); where its sensor reports events
    (smart shelves), the visit each reported event was put down to; and, where its signal says
    which receipts are shaky, how much it doubts each (V,): higher is checked first when a store
    buys accuracy with exit checks (toolkit/metrics/equal_accuracy.py)."""

    receipts: np.ndarray
    event_visit: np.ndarray | None = None
    visit_doubt: np.ndarray | None = None


@runtime_checkable
class CheckoutDesign(Protocol):
    """A checkout design: its name, the per-event or per-visit signals it reads, the sensors it
    pays for, and `run`, which turns observations into receipts."""

    name: str

    @property
    def signals(self) -> frozenset[str]: ...

    @property
    def sensors(self) -> frozenset[str]: ...

    def prepare(self, world: World, seed: int) -> None:
        """Called once per run before `run`: build catalog-derived state, seed its own noise."""

    def run(
        self, world: World, space: HypothesisSpace, obs: Observations, reviewer: Reviewer
    ) -> SystemOutput | BasketOutput:
        """One receipt per visit from the day's observations (and the reviewer's answers)."""


class SystemCheckError(AssertionError):
    """A design breaks the protocol; the message names it and says how."""


def _fail(name: str, system: Any, message: str) -> SystemCheckError:
    return SystemCheckError(f"system.{name} ({type(system).__qualname__}): {message}")


def check_system_shape(name: str, system: Any) -> None:
    """The passive check at build time: a name, signal and sensor sets, prepare() and run()."""
    if getattr(system, "name", None) != name:
        raise _fail(name, system, f"its name is {getattr(system, 'name', None)!r}; expected {name!r}")
    for attr in ("signals", "sensors"):
        value = getattr(system, attr, None)
        if not isinstance(value, frozenset) or not all(isinstance(v, str) for v in value):
            raise _fail(name, system, f"{attr} must be a frozenset of sensor names, got {value!r}")
    for method in ("prepare", "run"):
        if not callable(getattr(system, method, None)):
            raise _fail(name, system, f"has no {method}() method")
    unpaid = system.signals - system.sensors
    if unpaid:
        raise _fail(name, system, f"reads {sorted(unpaid)} without paying for it: list it in sensors")


def check_output(name: str, system: Any, output: Any, n_events: int, n_visits: int, n_skus: int) -> None:
    """The passive check on every run: receipts are whole, non-negative units per (visit, SKU);
    per-event decisions have one row per detected event."""
    if not isinstance(output, SystemOutput | BasketOutput):
        raise _fail(
            name, system, f"run() must return SystemOutput or BasketOutput, got {type(output).__name__}"
        )
    receipts = np.asarray(output.receipts)
    if receipts.shape != (n_visits, n_skus):
        raise _fail(
            name,
            system,
            f"receipts have shape {receipts.shape}; expected (visits, SKUs) = {(n_visits, n_skus)}",
        )
    if receipts.dtype.kind not in "iu" or (receipts < 0).any():
        raise _fail(name, system, "receipts must be non-negative integer units")
    doubt = getattr(output, "visit_doubt", None)
    if doubt is not None and (np.shape(doubt) != (n_visits,) or not np.all(np.isfinite(doubt))):
        shape = np.shape(doubt)
        raise _fail(name, system, f"visit_doubt must be finite, one per visit ({n_visits}); got {shape}")
    if isinstance(output, SystemOutput):
        for field in ("visible", "map_sku", "confidence", "reviewed", "final_visit"):
            rows = np.asarray(getattr(output, field)).shape[:1]
            if rows != (n_events,):
                raise _fail(name, system, f"{field} has {rows} rows; per detected event: {n_events}")
