"""Work the designs of a day share: computed once, read-only, gone with the day, and the same
results as each design computing it alone."""

from __future__ import annotations

import gc
import json

import numpy as np
import pytest
from conftest import compose_config

from toolkit import shared
from toolkit.comparison import run_comparison
from toolkit.recognizers.weight import WeightRecognizer
from toolkit.shared import once_per


class Day:
    """A stand-in for a day's input (any object that takes weak references)."""


def test_a_result_is_computed_once_per_inputs_and_label_read_only_and_dropped_with_an_input():
    day, other = Day(), Day()
    calls = []

    def compute():
        calls.append(1)
        return np.arange(3.0), np.zeros(2)

    first = once_per((day,), ("prior", 0.4), compute)
    assert once_per((day,), ("prior", 0.4), compute) is first and len(calls) == 1
    once_per((day,), ("prior", 0.5), compute)  # another label
    once_per((other,), ("prior", 0.4), compute)  # another object, however alike
    once_per((day, other), ("prior", 0.4), compute)  # other inputs
    assert len(calls) == 4
    with pytest.raises(ValueError, match="read-only"):
        first[0][0] = 1.0
    held = len(shared._ENTRIES)
    del other
    gc.collect()
    assert len(shared._ENTRIES) == held - 2  # every result that read the collected input


@pytest.mark.e2e
def test_designs_fusing_the_same_recognizer_score_a_day_once_with_the_results_of_each_alone(monkeypatch):
    """weight_only, weight_history and weight_pressure fuse the same weight recognizer: it scores
    the day's hypotheses once for all three (each still scores its own misplaced-item floor), and
    each design's metrics are those it gives run alone."""
    widths = []
    original = WeightRecognizer.evidence
    monkeypatch.setattr(
        WeightRecognizer,
        "evidence",
        lambda self, batch: widths.append(batch.hypotheses.shape[1]) or original(self, batch),
    )
    designs = ["weight_only", "weight_history", "weight_pressure"]
    together = run_comparison(compose_config(["debug=tiny", f"system=[{','.join(designs)}]"]))
    base_width = max(widths)
    assert widths.count(base_width) == 1 and len(widths) > 1
    for design in designs:
        alone = run_comparison(compose_config(["debug=tiny", f"system=[{design}]"]))
        assert json.dumps(alone["systems"][design], sort_keys=True) == json.dumps(
            together["systems"][design], sort_keys=True
        )
