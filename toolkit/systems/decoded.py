"""Designs that decode receipts straight from one sensor's signal, by rule (RFID gate, smart
shelves): no shelf-event hypotheses, no fusion, no review."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from toolkit.config import ConfigError
from toolkit.hypotheses import HypothesisSpace
from toolkit.sensors.observations import Observations
from toolkit.systems.base import BasketOutput, Reviewer
from toolkit.world import World


@runtime_checkable
class Decoder(Protocol):
    """Turns a sensor's signal into receipts (V, n_skus) and, where the signal has events or
    reads, the visit each was put down to (-1: nobody). A decoder may also say how much it
    doubts each visit's receipt from its own signal: `doubt(world, obs) -> (V,)`."""

    signals: frozenset[str]
    sensors: frozenset[str]

    def decode(self, world: World, obs: Observations) -> tuple[np.ndarray, np.ndarray | None]: ...


class DecoderSystem:
    """A rule-based design that decodes receipts straight from its sensor (an RFID gate or smart
    shelves): no shelf-event hypotheses, no fusion, no review."""

    def __init__(self, name: str, decoder: Decoder) -> None:
        if not isinstance(decoder, Decoder):
            raise ConfigError(
                f"system.{name}.decoder: {type(decoder).__name__} has no decode(), signals and sensors"
            )
        self.name = name
        self.decoder = decoder

    @property
    def signals(self) -> frozenset[str]:
        return self.decoder.signals

    @property
    def sensors(self) -> frozenset[str]:
        return self.decoder.sensors

    def prepare(self, world: World, seed: int) -> None:
        """Nothing to learn: the decoder is rule-based."""

    def run(
        self, world: World, space: HypothesisSpace, obs: Observations, reviewer: Reviewer
    ) -> BasketOutput:
        missing = self.signals - set(obs.readings)
        if missing or obs.entry is None:
            raise ConfigError(f"system.{self.name}: needs sensors {sorted(self.signals)} and entry scans")
        receipts, event_visit = self.decoder.decode(world, obs)
        doubt = getattr(self.decoder, "doubt", None)
        return BasketOutput(receipts, event_visit, doubt(world, obs) if callable(doubt) else None)
