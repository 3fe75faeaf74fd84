"""Shelf sensing: the compiled level filter against filterpy, the CUSUM, and the stream detector."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY, compose_config, small_day
from filterpy.kalman import KalmanFilter
from scipy.signal import lfilter

from toolkit.comparison import run_comparison
from toolkit.metrics.detection import link_events
from toolkit.seeding import component_rng
from toolkit.sensors.kalman import cusum, cusum_row, kalman_level_filter
from toolkit.sensors.loadcell_stream import (
    LoadcellModel,
    _find_events,
    _transients,
    simulate_streams_and_detect,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_compiled_filter_matches_filterpy_step_for_step(seed):
    rng = np.random.default_rng(seed)
    n, t = 4, 400
    z = rng.normal(200.0, 4.0, (n, t)) + np.where(np.arange(t) > 150, rng.normal(-300, 50, (n, 1)), 0.0)
    z[rng.random(z.shape) < 0.1] = np.nan  # dropped samples
    q, r, p0 = rng.uniform(0.01, 1.0), rng.uniform(1.0, 25.0), 50.0
    x0 = np.full(n, 190.0)
    track = kalman_level_filter(z, q, r, x0, p0)
    for row in range(n):
        kf = KalmanFilter(dim_x=1, dim_z=1)
        kf.F[:], kf.H[:], kf.Q[:], kf.R[:] = 1.0, 1.0, q, r
        kf.x[:], kf.P[:] = x0[row], p0
        for step, value in enumerate(z[row]):
            kf.predict()
            kf.update(None if np.isnan(value) else value)
            assert kf.x[0, 0] == pytest.approx(track.level[row, step], abs=1e-9)
            assert kf.P[0, 0] == pytest.approx(track.variance[row, step], abs=1e-9)


def _numpy_level_filter(z, q, r, x0, p0, reset_at, p_reset):
    """The filter as it was written before it was compiled: numpy over rows, a loop over time."""
    n, t = z.shape
    out = np.empty((4, n, t))
    x, p = x0.astype(float).copy(), np.full(n, float(p0))
    for step in range(t):
        p = np.where(reset_at == step, p_reset, p) + q
        s = p + r
        k = p / s
        seen = ~np.isnan(z[:, step])
        nu = np.where(seen, z[:, step] - x, 0.0)
        x = x + np.where(seen, k * nu, 0.0)
        p = np.where(seen, (1.0 - k) * p, p)
        out[:, :, step] = x, p, nu, s
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_the_compiled_filter_with_resets_and_dropped_samples_equals_the_numpy_loop_exactly(seed):
    rng = np.random.default_rng(seed)
    n, t = 6, 300
    z = rng.normal(200.0, 4.0, (n, t)) + np.where(np.arange(t) > 120, rng.normal(-300, 50, (n, 1)), 0.0)
    z[rng.random(z.shape) < 0.15] = np.nan
    z[0, :5] = np.nan  # a row that starts with dropped samples
    reset_at = rng.integers(0, t, n)
    reset_at[1] = np.flatnonzero(np.isnan(z[1]))[0]  # a reset on a dropped sample
    x0 = rng.normal(190.0, 5.0, n)
    track = kalman_level_filter(z, 0.05, 9.0, x0, 9.0, reset_at=reset_at, p_reset=9.0e6)
    want = _numpy_level_filter(z, 0.05, 9.0, x0, 9.0, reset_at, 9.0e6)
    got = np.stack([track.level, track.variance, track.innovation, track.innovation_variance])
    assert np.array_equal(got, want)


def test_closed_form_cusum_equals_the_recursion():
    u = np.random.default_rng(3).normal(0, 1.5, (3, 300))
    up, down = cusum(u, 0.7)
    for row in range(3):
        g_up = g_down = 0.0
        for step, value in enumerate(u[row]):
            g_up, g_down = max(0.0, g_up + value - 0.7), max(0.0, g_down - value - 0.7)
            assert up[row, step] == pytest.approx(g_up, abs=1e-9)
            assert down[row, step] == pytest.approx(g_down, abs=1e-9)
    total = np.cumsum(u - 0.7, axis=1)  # the closed form as numpy wrote it before it was compiled
    assert np.array_equal(up, total - np.minimum.accumulate(np.minimum(total, 0.0), axis=1))


def test_a_cusum_from_a_later_sample_is_the_cusum_of_zeros_before_it():
    u = np.random.default_rng(4).normal(0, 1.5, 300)
    up, down = np.empty(300), np.empty(300)
    cusum_row(u, 0.7, 120, up, down)
    want_up, want_down = cusum(np.where(np.arange(300) >= 120, u, 0.0)[None, :], 0.7)
    assert np.array_equal(up, want_up[0]) and np.array_equal(down, want_down[0])


def test_the_search_reads_each_step_and_gives_events_pass_by_pass():
    """Two steps on one plate, one on another, none on a third: the first pass finds each
    plate's first step (plates in order), the second pass the remaining one."""
    params = LoadcellModel(**compose_config(TINY).sensor.loadcell)
    hz, width, noise = params.sample_hz, 600, params.detector_noise_g
    steps = {0: [(100, -300.0), (400, 150.0)], 1: [(250, -500.0)], 2: []}
    z = np.random.default_rng(5).normal(800.0, noise, (3, width))
    for row, changes in steps.items():
        for at, grams in changes:
            z[row, at:] += grams
    r = params.detector_noise_g**2 + params.resolution_g**2 / 12.0
    track = kalman_level_filter(z, params.level_q_g2, r, z[:, 0], r)
    u = track.innovation / np.sqrt(track.innovation_variance)
    plate, start_s, end_s, delta, var = _find_events(
        z, track.level, track.variance, u, np.full(3, width), r, params, np.array([7, 8, 9]), np.zeros(3)
    )
    assert plate.tolist() == [7, 8, 7]
    assert np.abs(start_s * hz - [100, 250, 400]).max() <= 3
    assert np.all(end_s > start_s)
    assert np.abs(delta - [-300.0, -500.0, 150.0]).max() < 5.0 * np.sqrt(var).max() + 1.0


def _array_search(z, level, variance, u, lengths, r, params, plate, origin_s):
    """The search as whole-array passes (the formulation the compiled one replaced): all rows
    still searching take one event per pass."""
    hz, (n, width) = params.sample_hz, z.shape
    col = np.arange(width)[None, :]
    resume, live, found = np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool), []
    settle, calm_run = round(params.settle_s * hz), max(1, round(0.1 * hz))
    while live.any():
        rows = np.flatnonzero(live)
        after_resume = col >= resume[rows, None]
        up, down = cusum(np.where(after_resume, u[rows], 0.0), params.cusum_k)
        alarm = ((up > params.cusum_h) | (down > params.cusum_h)) & after_resume & (col < lengths[rows, None])
        alarmed = alarm.any(axis=1)
        live[rows[~alarmed]] = False
        if not alarmed.any():
            break
        rows, alarm, after_resume = rows[alarmed], alarm[alarmed], after_resume[alarmed]
        at = np.argmax(alarm, axis=1)
        quiet = (up[alarmed] == 0) & (down[alarmed] == 0) & (col < at[:, None]) & after_resume
        start = np.where(quiet.any(axis=1), width - 1 - np.argmax(quiet[:, ::-1], axis=1), resume[rows])
        refit = kalman_level_filter(z[rows], params.level_q_g2, r, level[rows, 0], r, start, 1e6 * r)
        new_u = refit.innovation / np.sqrt(refit.innovation_variance)
        calm_for = lfilter(np.ones(calm_run), [1.0], (np.abs(new_u) < 3.0).astype(float), axis=1) >= calm_run
        calm_after = calm_for & (col > at[:, None])
        end = np.where(calm_after.any(axis=1), np.argmax(calm_after, axis=1), lengths[rows] - 1)
        end = np.minimum(end, lengths[rows] - 1)
        read_at = np.minimum(end + settle, lengths[rows] - 1)
        before = np.maximum(start - 2, 0)
        delta = refit.level[np.arange(rows.size), read_at] - level[rows, before]
        var = refit.variance[np.arange(rows.size), read_at] + variance[rows, before]
        found.append((plate[rows], origin_s[rows] + start / hz, origin_s[rows] + end / hz, delta, var))
        replace = col >= start[:, None]
        level[rows] = np.where(replace, refit.level, level[rows])
        variance[rows] = np.where(replace, refit.variance, variance[rows])
        u[rows] = np.where(replace, new_u, u[rows])
        resume[rows] = read_at + 1
        live[rows] &= resume[rows] < lengths[rows]
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True)) if found else ()


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_search_gives_the_bits_of_whole_array_passes(seed):
    """Rows of several lengths with steps, pressing hands, dropped samples and a dead plate, under
    the shelf's settings and harsher ones: the same events, in the same order, and the same
    filter state left behind."""
    rng = np.random.default_rng(seed)
    base = LoadcellModel(**compose_config(TINY).sensor.loadcell)
    params = base if seed % 2 else base.model_copy(update={"cusum_h": 2.0, "settle_s": 0.0})
    n, width = 40, 400
    z = rng.normal(600.0, base.detector_noise_g * (1 + seed % 3), (n, width))
    for row in range(n):
        for at in rng.integers(0, width, rng.integers(0, 5)):
            z[row, at:] += rng.choice([-1.0, 1.0]) * rng.uniform(20.0, 600.0)
    z[rng.random(z.shape) < 0.05 * (seed % 3)] = np.nan
    lengths = rng.integers(1, width + 1, n)
    z[np.arange(width)[None, :] >= lengths[:, None]] = np.nan
    z[3] = np.nan  # a dead plate
    r = base.detector_noise_g**2 + base.resolution_g**2 / 12.0
    first = np.nan_to_num(z[:, 0], nan=0.0)
    states = []
    for search in (_find_events, _array_search):
        track = kalman_level_filter(z, params.level_q_g2, r, first, r)
        u = track.innovation / np.sqrt(track.innovation_variance)
        events = search(z, track.level, track.variance, u, lengths, r, params, np.arange(n), np.zeros(n))
        states.append((events, track.level, track.variance, u))
    (got, *got_state), (expected, *expected_state) = states
    assert expected and expected[0].size > np.unique(expected[0]).size  # rows with more than one event
    for mine, theirs in zip((*got, *got_state), (*expected, *expected_state), strict=True):
        assert np.asarray(mine, float).tobytes() == np.asarray(theirs, float).tobytes()


def test_a_pressing_hand_is_not_a_product():
    flagged = _transients(
        np.array([3, 3, 5]), np.array([10.0, 12.5, 11.0]), np.array([350.0, -351.0, 100.0]), np.ones(3), 5.0
    )
    assert flagged.tolist() == [True, True, False]


def test_streams_detect_nearly_every_move_and_read_its_weight():
    cfg, world, truth = small_day()
    params = LoadcellModel.from_config(cfg.sensor.loadcell)
    events, readings, stream = simulate_streams_and_detect(world, truth, params, component_rng(0, "s"))
    source, _ = link_events(events, stream, truth.inter_kind.size, params.match_tolerance_s)
    assert np.unique(source[source >= 0]).size / stream.move_interaction.size > 0.9
    real = source >= 0
    sku, count, _ = truth.event_truth(source[real])
    lines = sku >= 0
    expected = -np.where(lines, world.catalog.weight_mean_g[np.where(lines, sku, 0)] * count, 0.0).sum(1)
    assert np.median(np.abs(readings.delta_g[real] - expected)) < 3 * world.catalog.weight_std_g.max()


def scenario(noise, seed):
    overrides = [
        *TINY,
        "shoppers.visits_per_day=300",
        "system=[weight_only]",
        "sensor=[door,loadcell,presence]",
        "sensor.presence.mode=direct",  # about detection, not tracking: the quick presence model
        f"sensor.loadcell.noise_g={noise}",
        f"seed={seed}",
    ]
    return run_comparison(compose_config(overrides))["scenario"]


@pytest.mark.e2e
def test_recall_falls_and_false_events_rise_as_noise_grows():
    runs = {n: [scenario(n, s) for s in (0, 1)] for n in (2, 10, 30)}
    recall = {n: np.mean([r["detection_recall"] for r in rs]) for n, rs in runs.items()}
    false = {n: np.mean([r["false_events_per_shelf_hour"] for r in rs]) for n, rs in runs.items()}
    assert recall[2] > recall[30] and recall[10] > recall[30]
    assert false[2] < false[10] and false[2] < false[30]


@pytest.mark.e2e
def test_pressure_helps_where_skus_weigh_alike():
    exact = {}
    for system in ("weight_only", "weight_pressure"):
        exact[system] = np.mean(
            [
                run_comparison(
                    compose_config(
                        [
                            *TINY,
                            "shoppers.visits_per_day=300",
                            f"system=[{system}]",
                            "sensor=[door,loadcell,presence,pressure]",
                            "sensor.presence.mode=direct",
                            "catalog.weight_collision=1.0",
                            "catalog.lookalike_share=0.9",
                            f"seed={seed}",
                        ]
                    )
                )["systems"][system]["receipt_exact"]
                for seed in (0, 1, 2)
            ]
        )
    assert exact["weight_pressure"] > exact["weight_only"]


@pytest.mark.e2e
def test_dropped_samples_and_dead_plates_never_crash_and_are_counted():
    overrides = [
        *TINY,
        "shoppers.visits_per_day=300",
        "sensor.loadcell.p_dropout=0.2",
        "sensor.loadcell.p_dead_plate=0.5",
        "system=[weight_only,weight_pressure]",
    ]
    record = run_comparison(compose_config(overrides))
    assert record["scenario"]["dead_plates"] > 0
    assert record["scenario"]["events_without_weight"] > 0  # the mats still saw them
    with_mats, without = record["systems"]["weight_pressure"], record["systems"]["weight_only"]
    assert with_mats["yield_take_captured"] > without["yield_take_captured"]
    for metrics in record["systems"].values():
        assert all(np.isfinite(v) for v in metrics.values() if isinstance(v, float))
