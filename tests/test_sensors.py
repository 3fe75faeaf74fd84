"""Sensor models: load-cell measurement and detection, and camera presence."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_day

from toolkit.seeding import component_rng
from toolkit.sensors.loadcell import measure_events
from toolkit.sensors.loadcell_stream import LoadcellModel
from toolkit.sensors.presence import PresenceParams, observe_presence
from toolkit.shoppers import EMPTY_REACH


@pytest.fixture(scope="module")
def day():
    return small_day()


def test_measurement_variance_follows_the_window_average(day):
    cfg, *_ = day
    params = LoadcellModel.from_config({**cfg.sensor.loadcell, "resolution_g": 0.0, "drift_g_per_s": 0.0})
    independent = params.window_s / params.noise_correlation_s
    assert params.measurement_variance_g2 == pytest.approx(2 * params.noise_g**2 / independent)


def test_measured_changes_match_the_truth_within_noise(day):
    cfg, world, truth = day
    params = LoadcellModel.from_config(cfg.sensor.loadcell)
    events, readings, source = measure_events(world, truth, params, component_rng(0, "lc"))
    cat = world.catalog
    lines = truth.inter_sku[source] >= 0
    safe = np.where(lines, truth.inter_sku[source], 0)
    expected = -np.where(lines, cat.weight_mean_g[safe] * truth.inter_count[source], 0.0).sum(1)
    spread = np.sqrt(readings.variance_g2 + np.where(lines, cat.weight_std_g[safe] ** 2 * 3, 0).sum(1))
    assert np.mean(np.abs(readings.delta_g - expected) < 4 * spread) > 0.99
    assert np.all(np.abs(readings.delta_g) >= params.detect_threshold_g)
    assert np.array_equal(events.plate, truth.inter_plate[source])


def test_light_items_below_the_trigger_go_undetected(day):
    cfg, world, truth = day
    params = LoadcellModel.from_config({**cfg.sensor.loadcell, "detect_threshold_g": 200.0})
    _, _, source = measure_events(world, truth, params, component_rng(0, "lc"))
    moves = np.flatnonzero(truth.inter_kind != EMPTY_REACH)
    assert 0 < source.size < moves.size


def test_the_actor_is_always_among_the_shoppers_seen_at_the_shelf(day):
    cfg, world, truth = day
    events, _, source = measure_events(
        world, truth, LoadcellModel.from_config(cfg.sensor.loadcell), component_rng(0, "lc")
    )
    presence = observe_presence(
        world, truth, events, source, PresenceParams.from_config(cfg.sensor.presence), component_rng(0, "pr")
    )
    actor = truth.inter_visit[source]
    assert (presence.candidate_visit == actor[:, None]).any(axis=1).all()
    assert (presence.candidate_visit >= 0).sum(axis=1).max() > 1  # someone else was there sometimes
