"""A recognizer whose module imports the ground truth: check_recognizer must refuse it."""

from typing import ClassVar

import numpy as np

from toolkit.recognizers import BaseRecognizer, EventBatch, Evidence
from toolkit.shoppers import GroundTruth  # noqa: F401  (the point of this test double)


class TruthPeeker(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"loadcell"})

    def evidence(self, batch: EventBatch) -> Evidence:
        return Evidence(loglik=np.where(batch.hypotheses.valid, 0.0, -np.inf), source="peeker")
