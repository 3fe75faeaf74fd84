"""Load-cell shelves, per-event model: the weight change each interaction causes, as measured.

A plate reports the difference between two settled readings (before and after the hand). Each
settled reading averages the noisy, vibration-correlated samples of a settling window; drift over
the event and ADC quantisation add to it. Changes below the trigger threshold go undetected.
The stream model (loadcell_stream.py, sensor.loadcell.mode=stream, the default) simulates the
sample streams and the store's Kalman/CUSUM detector instead; this one is the quick alternative.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from toolkit.config import (
    NonNegative,
    Positive,
    Probability,
    Settings,
)
from toolkit.sensors.observations import LoadcellReadings, ShelfEvents
from toolkit.shoppers import EMPTY_REACH, GroundTruth
from toolkit.world import World


class LoadcellParams(Settings):
    """The load-cell plates (the quick per-event model reads only these)."""

    config_path: ClassVar[str] = "sensor.loadcell"

    noise_g: NonNegative
    resolution_g: NonNegative
    sample_hz: Positive
    window_s: Positive
    noise_correlation_s: NonNegative
    drift_g_per_s: NonNegative
    event_duration_s: NonNegative
    detect_threshold_g: NonNegative
    p_dropout: Probability

    @property
    def measurement_variance_g2(self) -> float:
        """Variance of a measured change: two window means, drift over the event, two quantisations."""
        samples = self.window_s * self.sample_hz
        independent = max(1.0, min(samples, self.window_s / max(self.noise_correlation_s, 1e-12)))
        window_mean_var = self.noise_g**2 / independent
        return (
            2.0 * window_mean_var
            + (self.drift_g_per_s * self.event_duration_s) ** 2
            + self.resolution_g**2 / 6.0
        )


def true_weight_change(
    world: World, sku: np.ndarray, count: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Physical weight change (g) of two-line interactions (I, 2): units vary around the catalog mean."""
    cat = world.catalog
    valid = sku >= 0
    safe = np.where(valid, sku, 0)
    mean = np.where(valid, cat.weight_mean_g[safe] * count, 0.0).sum(axis=1)
    var = np.where(valid, cat.weight_std_g[safe] ** 2 * np.abs(count), 0.0).sum(axis=1)
    return -(mean + np.sqrt(var) * rng.standard_normal(sku.shape[0]))


def measure_events(
    world: World, truth: GroundTruth, params: LoadcellParams, rng: np.random.Generator
) -> tuple[ShelfEvents, LoadcellReadings, np.ndarray]:
    """Detected events, their readings, and (truth side only) the interaction each event came from."""
    moves = np.flatnonzero(truth.inter_kind != EMPTY_REACH)
    change = true_weight_change(world, truth.inter_sku[moves], truth.inter_count[moves], rng)
    var = params.measurement_variance_g2
    measured = change + np.sqrt(var) * rng.standard_normal(moves.size)
    if params.resolution_g > 0:
        measured = np.round(measured / params.resolution_g) * params.resolution_g
    detected = np.abs(measured) >= params.detect_threshold_g
    measured = np.where(rng.random(moves.size) < params.p_dropout, np.nan, measured)
    source = moves[detected]
    plate = truth.inter_plate[source]
    # the event is read off the ADC's own sample clock once the plate has settled
    settled = truth.inter_time_s[source] + params.event_duration_s
    events = ShelfEvents(
        time_s=np.ceil(settled * params.sample_hz) / params.sample_hz,
        shelf=world.planogram.plate_shelf[plate],
        plate=plate,
    )
    readings = LoadcellReadings(delta_g=measured[detected], variance_g2=np.full(source.size, var))
    return events, readings, source
