"""A user's recognizer, outside toolkit/: weight evidence with Student-t tails (robust to a hand
resting on the shelf). The README's "Add a recognizer" example."""

from typing import ClassVar

import numpy as np
from scipy.stats import t as student_t

from toolkit.recognizers import BaseRecognizer, EventBatch, Evidence


class StudentTWeight(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"loadcell"})

    def __init__(self, dof: float = 3.0, scale_g: float = 5.0) -> None:
        self.dof, self.scale_g = dof, scale_g

    def evidence(self, batch: EventBatch) -> Evidence:
        reading, hyps = batch.readings["loadcell"], batch.hypotheses
        line = hyps.sku >= 0
        unit_g = self.world.catalog.weight_mean_g[np.where(line, hyps.sku, 0)]
        expected = -np.where(line, unit_g * hyps.count, 0.0).sum(axis=-1)
        scale = np.sqrt(reading.variance_g2[:, None] + self.scale_g**2)
        loglik = student_t.logpdf(reading.delta_g[:, None], df=self.dof, loc=expected, scale=scale)
        loglik = np.where(np.isfinite(reading.delta_g)[:, None], loglik, 0.0)
        return Evidence(loglik=np.where(hyps.valid, loglik, -np.inf), source="student_t_weight")
