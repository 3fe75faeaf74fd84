"""Accuracy responds to the physics: it falls as load-cell noise and look-alike weight collisions grow."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import TINY, compose_config

from toolkit.comparison import run_comparison

NO_REVIEW = (
    "system=[weight_only]",
    "shoppers.visits_per_day=300",
    "system.weight_only.decision.review_threshold=0",
    "system.weight_only.decision.attribution_threshold=0",
    "sensor.presence.mode=direct",  # about weighing, not tracking: the quick presence model
)


@functools.cache
def _metrics(overrides: tuple[str, ...], seed: int) -> dict:
    return run_comparison(compose_config([*TINY, *NO_REVIEW, f"seed={seed}", *overrides]))["systems"][
        "weight_only"
    ]


def mean_metric(overrides: list[str], metric: str, seeds=(0, 1)) -> float:
    """Mean over seeds; each run is made once and shared between the metrics asked of it."""
    return float(np.mean([_metrics(tuple(overrides), s)[metric] for s in seeds]))


@pytest.mark.slow
def test_accuracy_falls_as_loadcell_noise_grows():
    accuracy = [mean_metric([f"sensor.loadcell.noise_g={n}"], "machine_event_accuracy") for n in (1, 20, 60)]
    assert accuracy[0] > accuracy[1] > accuracy[2]
    receipts = [mean_metric([f"sensor.loadcell.noise_g={n}"], "receipt_exact") for n in (1, 60)]
    assert receipts[0] > receipts[1]


@pytest.mark.slow
def test_accuracy_falls_as_lookalike_weights_collide():
    accuracy = [
        mean_metric(
            [f"catalog.weight_collision={c}", "catalog.lookalike_share=0.8"], "machine_event_accuracy"
        )
        for c in (0.0, 0.5, 1.0)
    ]
    assert accuracy[0] > accuracy[1] > accuracy[2]
