"""Recognizers that break the protocol, each in a way check_recognizer must catch."""

from typing import ClassVar

import numpy as np

from toolkit.recognizers import BaseRecognizer, EventBatch, Evidence


def _flat(batch: EventBatch) -> np.ndarray:
    return np.where(batch.hypotheses.valid, 0.0, -np.inf)


class ReturnsNaN(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"loadcell"})

    def evidence(self, batch: EventBatch) -> Evidence:
        loglik = _flat(batch)
        loglik[:, 0] = np.nan
        return Evidence(loglik=loglik, source="nan")


class WrongShape(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"loadcell"})

    def evidence(self, batch: EventBatch) -> Evidence:
        return Evidence(loglik=_flat(batch)[:, :-1], source="short")


class Unseeded(BaseRecognizer):
    """Draws noise from a fresh, unseeded generator: not reproducible."""

    signals: ClassVar[frozenset[str]] = frozenset({"loadcell"})

    def evidence(self, batch: EventBatch) -> Evidence:
        noise = np.random.default_rng().normal(size=batch.hypotheses.shape)
        return Evidence(loglik=np.where(batch.hypotheses.valid, noise, -np.inf), source="unseeded")


class NotFlatWhenMissing(BaseRecognizer):
    """Turns a missing reading into a confident opinion instead of a flat row."""

    signals: ClassVar[frozenset[str]] = frozenset({"loadcell"})

    def evidence(self, batch: EventBatch) -> Evidence:
        delta = np.nan_to_num(batch.readings["loadcell"].delta_g, nan=-100.0)
        loglik = -np.abs(delta[:, None] + 100.0 * np.abs(batch.hypotheses.count[..., 0]))
        return Evidence(loglik=np.where(batch.hypotheses.valid, loglik, -np.inf), source="notflat")


class NoSignals(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset()

    def evidence(self, batch: EventBatch) -> Evidence:
        return Evidence(loglik=_flat(batch), source="none")


class WritesInput(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"loadcell"})

    def evidence(self, batch: EventBatch) -> Evidence:
        batch.readings["loadcell"].delta_g[:] = 0.0
        return Evidence(loglik=_flat(batch), source="writer")
