"""Plausible sensor readings for a batch of events, drawn without any ground truth.

Used by `check_recognizer` to exercise a recognizer on every signal it declares: each event gets a
random valid hypothesis and a reading consistent with it, and some readings are missing (NaN).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from toolkit.hypotheses import EventHypotheses
from toolkit.sensors.observations import CameraCrops, LoadcellReadings, PressureReadings
from toolkit.vision.render import RenderParams, render
from toolkit.world import World


def random_hypothesis(hyps: EventHypotheses, rng: np.random.Generator) -> np.ndarray:
    """Index of one uniformly chosen valid hypothesis per event."""
    score = np.where(hyps.valid, rng.random(hyps.valid.shape), -1.0)
    return np.argmax(score, axis=1)


def _loadcell(
    world: World, hyps: EventHypotheses, rng: np.random.Generator, p_missing: float
) -> LoadcellReadings:
    pick = random_hypothesis(hyps, rng)
    rows = np.arange(pick.size)
    sku, count = hyps.sku[rows, pick], hyps.count[rows, pick]
    valid = sku >= 0
    mean = np.where(valid, world.catalog.weight_mean_g[np.where(valid, sku, 0)] * count, 0.0).sum(axis=1)
    variance = np.full(pick.size, 9.0)
    delta = -mean + np.sqrt(variance) * rng.standard_normal(pick.size)
    delta[rng.random(pick.size) < p_missing] = np.nan
    return LoadcellReadings(delta_g=delta, variance_g2=variance)


def _pressure(
    world: World, hyps: EventHypotheses, rng: np.random.Generator, p_missing: float
) -> PressureReadings:
    pick = random_hypothesis(hyps, rng)
    rows = np.arange(pick.size)
    sku = hyps.sku[rows, pick, 0]
    plano = world.planogram
    position = np.where(
        sku >= 0, plano.slot_offset_m[plano.sku_slot[np.maximum(sku, 0)]], plano.plate_width_m / 2
    )
    position = position + 0.02 * rng.standard_normal(pick.size)
    position[rng.random(pick.size) < p_missing] = np.nan
    return PressureReadings(position_m=position, variance_m2=np.full(pick.size, 0.02**2))


def _camera(world: World, hyps: EventHypotheses, rng: np.random.Generator, p_missing: float) -> CameraCrops:
    pick = random_hypothesis(hyps, rng)
    sku = hyps.sku[np.arange(pick.size), pick, 0]
    params = RenderParams(20.0, (0.85, 1.1), 0.12, (0.75, 1.25), 2, 0.4, 0.1, 0.03, 24)
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    table = torch.as_tensor(world.catalog.appearance, dtype=torch.float32)
    crops = render(table[torch.as_tensor(np.maximum(sku, 0))], params, generator)
    images = (crops * 255).round().to(torch.uint8).numpy()[:, None]
    visible = (rng.random(pick.size) >= p_missing)[:, None]
    return CameraCrops(images=images, visible=visible, holding=visible & (sku >= 0)[:, None])


SYNTHETIC_READINGS: dict[str, Callable[[World, EventHypotheses, np.random.Generator, float], Any]] = {
    "loadcell": _loadcell,
    "pressure": _pressure,
    "camera": _camera,
}
