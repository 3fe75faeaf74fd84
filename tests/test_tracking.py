"""Shopper tracking: the Kalman filter is filterpy's, tracks keep identity, and losing it costs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import TINY, compose_config, small_day
from filterpy.common import Q_discrete_white_noise
from filterpy.kalman import KalmanFilter
from scipy.optimize import linear_sum_assignment

from toolkit.comparison import run_comparison
from toolkit.fusion import attribute
from toolkit.metrics.tracking import track_error, tracking_metrics
from toolkit.seeding import component_rng
from toolkit.sensors import walks
from toolkit.sensors.observations import CameraDetections, EntryScans, ShelfEvents, visit_frames
from toolkit.sensors.presence import PresenceParams
from toolkit.sensors.walks import (
    WalkParams,
    _busy_frames,
    _merge_from_the_back,
    _waypoints,
    observe_walks,
    true_positions,
)
from toolkit.tracking import (
    STATE_WIDTH,
    TrackerParams,
    Tracks,
    _assign,
    _pairwise_sum,
    cv_predict,
    cv_update,
    presence_from_tracks,
    process_noise,
    track_shoppers,
)

TRACKER = {
    "accel_noise_mps2": 1.5,
    "measurement_noise_m": 0.1,
    "init_pos_std_m": 0.5,
    "init_vel_std_mps": 1.0,
    "gate_chi2": 13.8,
    "appearance_noise": 0.6,
    "zone_depth_m": 1.0,
}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_compiled_filter_equals_filterpy_step_for_step(seed):
    rng = np.random.default_rng(seed)
    dt, accel, r = 0.2, 1.5, 0.1**2
    steps = 200
    z = np.cumsum(rng.normal(0, 0.2, (steps, 2)), axis=0) + rng.normal(0, 0.1, (steps, 2))
    missed = rng.random(steps) < 0.2

    kf = KalmanFilter(dim_x=4, dim_z=2)
    kf.x = np.array([1.0, 2.0, 0.0, 0.0])
    kf.P = np.diag([0.25, 0.25, 1.0, 1.0])
    kf.F = np.array([[1, 0, dt, 0], [0, 1, 0, dt], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    kf.Q = Q_discrete_white_noise(dim=2, dt=dt, var=accel**2, block_size=2, order_by_dim=False)
    kf.H = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    kf.R = np.eye(2) * r

    state = np.array([[1.0, 2.0, 0.0, 0.0, 0.25, 0.0, 1.0]])
    q = np.array(process_noise(dt, accel))
    for t in range(steps):
        kf.predict()
        cv_predict(state, dt, q)
        if not missed[t]:
            kf.update(z[t])
            cv_update(state[0], z[t], r)
        assert np.allclose(state[0, :4], kf.x, atol=1e-9)
        assert np.allclose(state[0, 4:], [kf.P[0, 0], kf.P[0, 2], kf.P[2, 2]], atol=1e-9)
        assert np.allclose(kf.P[1, 1], kf.P[0, 0]) and np.allclose(kf.P[0, 1], 0.0)


@pytest.mark.parametrize("hz", [5.0, 10.0, 30.0])
def test_the_process_noise_is_filterpys(hz):
    q = Q_discrete_white_noise(dim=2, dt=1.0 / hz, var=1.5**2)
    assert process_noise(1.0 / hz, 1.5) == (q[0, 0], q[0, 1], q[1, 1])


def _crossing(appearance: bool, rng: np.random.Generator) -> tuple[CameraDetections, EntryScans, list]:
    """Two shoppers from the door at (0, 0): A walks right then turns up x = 2; B comes in 2 s later
    and walks the diagonal, so both are at (2, 2) at t = 4 s, moving differently. 20 % of the
    detections are missed. Returns detections, door scans and each shopper's true path."""
    hz = 5.0
    t_a, t_b = np.arange(0, 41) / hz, np.arange(10, 41) / hz
    path_a = np.where(
        t_a[:, None] < 2.0, np.stack([t_a, 0 * t_a], 1), np.stack([0 * t_a + 2.0, t_a - 2.0], 1)
    )
    path_b = np.stack([t_b - 2.0, t_b - 2.0], axis=1)
    looks = rng.standard_normal((2, 8))
    frames, xy, seen_look = [], [], []
    for who, (times, path) in enumerate([(t_a, path_a), (t_b, path_b)]):
        keep = rng.random(times.size) > 0.2
        frames.append(np.rint(times[keep] * hz).astype(np.int64))
        xy.append(path[keep] + rng.normal(0, 0.05, (int(keep.sum()), 2)))
        seen_look.append(looks[who] + 0.6 * rng.standard_normal((int(keep.sum()), 8)))
    frame = np.concatenate(frames)
    order = np.argsort(frame, kind="stable")
    detections = CameraDetections(
        frame=frame[order],
        xy=np.concatenate(xy)[order],
        appearance=np.concatenate(seen_look)[order],
        frame_hz=hz,
    )
    door = looks + 0.6 * rng.standard_normal((2, 8)) if appearance else None
    scans = EntryScans(np.array([0, 1]), np.array([8.0, 8.0]), np.array([0.0, 2.0]), door)
    return detections, scans, [path_a, path_b]


@pytest.mark.parametrize("appearance", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tracks_keep_identity_through_a_crossing_and_missed_frames(appearance, seed):
    detections, scans, paths = _crossing(appearance, np.random.default_rng(seed))
    tracks = track_shoppers(detections, scans, np.zeros(2), TrackerParams.from_config(TRACKER))
    a, b = (tracks.sample_xy[tracks.sample_visit == visit] for visit in (0, 1))
    a_now = a[10:]  # the frames where both are in the store
    own = np.linalg.norm(np.stack([a_now - paths[0][10:], b - paths[1]]), axis=2)
    swapped = np.linalg.norm(np.stack([a_now - paths[1], b - paths[0][10:]]), axis=2)
    apart = np.linalg.norm(paths[0][10:] - paths[1], axis=1) > 0.5
    assert np.all((own < swapped)[:, apart])  # never nearer the other shopper once they part
    assert np.all(own[:, -10:] < 0.2)  # and on target at the end (a sharp turn may overshoot)


def test_a_track_coasts_through_missed_frames_on_its_velocity():
    hz = 5.0
    times = np.arange(0, 31) / hz
    path = np.stack([times, np.zeros_like(times)], axis=1)
    seen = (times < 3.0) | (times > 5.0)  # occluded for 2 s while walking
    detections = CameraDetections(
        frame=np.flatnonzero(seen), xy=path[seen], appearance=np.zeros((int(seen.sum()), 8)), frame_hz=hz
    )
    scans = EntryScans(np.array([0]), np.array([6.0]), np.array([0.0]))
    tracks = track_shoppers(detections, scans, np.zeros(2), TrackerParams.from_config(TRACKER))
    gap = ~seen
    assert np.all(np.abs(tracks.sample_xy[gap, 0] - path[gap, 0]) < 0.25)


def _reference_tracks(detections, scans, entry_xy, params) -> np.ndarray:
    """The tracker written plainly: one filterpy KalmanFilter per track and scipy's
    linear_sum_assignment frame by frame, in Python."""
    hz = detections.frame_hz
    dt, r = 1.0 / hz, params.measurement_noise_m**2
    first, last = visit_frames(scans.visit_arrival_s, scans.visit_exit_s, hz)
    look_var = 2.0 * params.appearance_noise**2
    filters, out = {}, {}
    for frame in range(first.min(), last.max() + 1):
        for kf in filters.values():
            kf.predict()
        for visit in np.flatnonzero(first == frame):
            kf = KalmanFilter(dim_x=4, dim_z=2)
            kf.x = np.r_[entry_xy, 0.0, 0.0]
            kf.P = np.diag([params.init_pos_std_m**2] * 2 + [params.init_vel_std_mps**2] * 2)
            kf.F = np.array([[1, 0, dt, 0], [0, 1, 0, dt], [0, 0, 1, 0], [0, 0, 0, 1.0]])
            kf.Q = Q_discrete_white_noise(2, dt, params.accel_noise_mps2**2, block_size=2, order_by_dim=False)
            kf.H, kf.R = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]), np.eye(2) * r
            filters[visit] = kf
        alive = list(filters)
        here = detections.frame == frame
        if alive and here.any():
            z, seen = detections.xy[here], detections.appearance[here]
            cost = np.empty((len(alive), z.shape[0]))
            for a, visit in enumerate(alive):
                kf, s = filters[visit], filters[visit].P[0, 0] + r
                d2 = ((z - kf.x[:2]) ** 2).sum(axis=1) / s
                a2 = ((seen - scans.visit_appearance[visit]) ** 2).sum(axis=1) / look_var
                cost[a] = np.where(d2 > params.gate_chi2, 1.0e9, d2 + 2.0 * np.log(s) + a2)
            for a, d in zip(*linear_sum_assignment(cost), strict=True):
                if cost[a, d] < 1.0e9:
                    filters[alive[a]].update(z[d])
        for visit in alive:
            out[visit, frame] = filters[visit].x[:2].copy()
            if last[visit] == frame:
                del filters[visit]
    return np.array(
        [
            out[visit, frame]
            for visit in sorted({v for v, _ in out})
            for frame in range(first[visit], last[visit] + 1)
        ]
    )


def _crowd(rng: np.random.Generator, dim: int) -> tuple[CameraDetections, EntryScans]:
    """Six shoppers on random walks who come and go at different times (one after the store has
    emptied), with missed detections, clutter and `dim`-dimensional looks."""
    hz, n = 5.0, 6
    arrival = np.array([0.0, 1.0, 1.4, 3.0, 4.2, 14.0])
    leave = np.array([6.0, 9.0, 4.8, 7.4, 9.0, 17.0])
    looks = rng.standard_normal((n, dim))
    frame, xy, seen = [], [], []
    for who in range(n):
        frames = np.arange(np.ceil(arrival[who] * hz), np.floor(leave[who] * hz) + 1).astype(np.int64)
        path = np.cumsum(rng.normal(0.0, 0.25, (frames.size, 2)), axis=0) + rng.uniform(0, 3, 2)
        keep = rng.random(frames.size) > 0.2
        frame.append(frames[keep])
        xy.append(path[keep] + rng.normal(0, 0.05, (int(keep.sum()), 2)))
        seen.append(looks[who] + 0.6 * rng.standard_normal((int(keep.sum()), dim)))
    clutter = rng.integers(0, int(leave.max() * hz), 40)
    frame.append(clutter)
    xy.append(rng.uniform(0, 4, (clutter.size, 2)))
    seen.append(rng.standard_normal((clutter.size, dim)))
    frame_all = np.concatenate(frame)
    order = np.argsort(frame_all, kind="stable")
    detections = CameraDetections(
        frame_all[order], np.concatenate(xy)[order], np.concatenate(seen)[order], frame_hz=hz
    )
    door = looks + 0.6 * rng.standard_normal(looks.shape)
    return detections, EntryScans(np.arange(n), leave, arrival, door)


@pytest.mark.parametrize(("seed", "dim"), [(0, 8), (1, 3), (2, 9), (3, 130)])
def test_the_compiled_tracker_equals_filterpy_and_scipy_frame_by_frame(seed, dim):
    """A crowd with births, deaths among survivors, an empty store between visits, clutter and
    looks of 3 to 130 dimensions (numpy's summation order changes at 8 and 128), and two
    shoppers crossing: every estimate matches the plain filterpy + scipy tracker, so the
    assignments are the same ones."""
    rng = np.random.default_rng(seed)
    params = TrackerParams.from_config(TRACKER)
    detections, scans = _crowd(rng, dim)
    tracks = track_shoppers(detections, scans, np.zeros(2), params)
    assert np.allclose(tracks.sample_xy, _reference_tracks(detections, scans, np.zeros(2), params), atol=1e-9)
    detections, scans, _ = _crossing(True, rng)
    tracks = track_shoppers(detections, scans, np.zeros(2), params)
    assert np.allclose(tracks.sample_xy, _reference_tracks(detections, scans, np.zeros(2), params), atol=1e-9)


@pytest.fixture(scope="module")
def day():
    return small_day()


def _walk_params(cfg, **changes) -> WalkParams:
    return PresenceParams.from_config({**cfg.sensor.presence, **changes})


def test_each_actor_stands_at_the_plate_when_it_acts(day):
    cfg, world, truth = day
    walk = true_positions(world, truth, _walk_params(cfg), component_rng(0, "walk"))
    params = _walk_params(cfg)
    frame = np.rint(truth.inter_time_s * params.frame_hz).astype(np.int64)
    first = np.searchsorted(walk.sample_visit, truth.inter_visit)
    start = walk.sample_frame[first]
    xy = walk.sample_xy[first + frame - start]
    plate = truth.inter_plate
    shelf = world.planogram.plate_shelf[plate]
    left = world.layout.shelf_xy[shelf, 0] - 0.5 * world.layout.shelf_length_m[shelf]
    along = xy[:, 0] - left
    assert np.mean(np.abs(along - world.planogram.plate_offset_m[plate]) < 0.05) > 0.95
    assert np.all(walk.sample_xy >= -1e-9)
    assert np.all(walk.sample_xy <= [world.layout.width_m + 1e-9, world.layout.depth_m + 1e-9])


def test_each_frame_lies_on_its_visits_path_between_its_waypoints(day):
    """The compiled interpolation is np.interp of each visit's waypoints at its frames' times."""
    cfg, world, truth = day
    params = _walk_params(cfg)
    walk = true_positions(world, truth, params, component_rng(0, "walk"))
    visit, time, x, y = _waypoints(world, truth, params, component_rng(0, "walk"))
    for v in np.random.default_rng(1).choice(truth.n_visits, 25, replace=False):
        rows = walk.sample_visit == v
        frames = walk.sample_frame[rows]
        assert np.array_equal(frames, np.arange(frames[0], frames[0] + frames.size))
        t = np.clip(frames / params.frame_hz, truth.visit_arrival_s[v], truth.visit_exit_s[v])
        mine = visit == v
        expected = np.c_[np.interp(t, time[mine], x[mine]), np.interp(t, time[mine], y[mine])]
        assert np.allclose(walk.sample_xy[rows], expected, atol=1e-9)


def test_a_track_is_read_only_where_its_visit_had_one():
    tracks = Tracks(
        sample_visit=np.array([1, 1, 1, 4, 4]),
        sample_frame=np.array([10, 11, 12, 3, 4]),
        sample_xy=np.arange(10.0).reshape(5, 2),
        frame_hz=10.0,
    )
    xy = tracks.position_at(np.array([1, 1, 4, 4, 2, -1, 9, 1]), np.array([10, 12, 4, 5, 3, 0, 3, 9]))
    assert xy[:3].tolist() == [[0.0, 1.0], [4.0, 5.0], [8.0, 9.0]]
    assert np.isnan(xy[3:]).all()  # after the track ended, a visit without one, unknown ids, before it


def test_the_compiled_distance_to_a_track_is_numpys_norm_bit_for_bit(day):
    cfg, world, truth = day
    params = _walk_params(cfg)
    detections, door, walk = observe_walks(world, truth, params, component_rng(0, "cams"))
    scans = EntryScans(truth.visit_shopper, truth.visit_exit_s, truth.visit_arrival_s, door)
    tracks = track_shoppers(detections, scans, world.layout.entry_xy, TrackerParams.from_config(TRACKER))
    # every shopper-frame, and some before their visit's track began
    visit = np.r_[walk.sample_visit, walk.sample_visit[:50]]
    frame = np.r_[walk.sample_frame, walk.sample_frame[:50] - 1000]
    xy = np.r_[walk.sample_xy, walk.sample_xy[:50]]
    expected = np.linalg.norm(tracks.position_at(visit, frame) - xy, axis=1)
    got = tracks.distance_at(visit, frame, xy)
    assert np.isnan(got).sum() >= 50 and np.isfinite(got).any()
    assert got.tobytes() == expected.tobytes()


def _array_walks(world, truth, params, rng):
    """observe_walks as whole-array expressions (the formulation the compiled passes replaced):
    its draws, in their order, and its arithmetic."""
    visit, time, x, y = _waypoints(world, truth, params, rng)
    first, last = visit_frames(truth.visit_arrival_s, truth.visit_exit_s, params.frame_hz)
    per_visit = last - first + 1
    sample_visit = np.repeat(np.arange(truth.n_visits), per_visit)
    starts = np.cumsum(per_visit) - per_visit
    sample_frame = first[sample_visit] + np.arange(sample_visit.size) - starts[sample_visit]
    t = np.clip(
        sample_frame / params.frame_hz, truth.visit_arrival_s[sample_visit], truth.visit_exit_s[sample_visit]
    )
    hi = np.searchsorted(visit * 1.0e6 + time, sample_visit * 1.0e6 + t, side="right")
    hi = np.clip(hi, 1, max(visit.size - 1, 1))
    lo, span = hi - 1, time[hi] - time[hi - 1]
    w = np.where(
        (visit[hi] == sample_visit) & (span > 0), (t - time[lo]) / np.where(span > 0, span, 1.0), 0.0
    )
    w = np.clip(w, 0.0, 1.0)
    walk_xy = np.stack([x[lo] + w * (x[hi] - x[lo]), y[lo] + w * (y[hi] - y[lo])], axis=1)
    look = rng.standard_normal((truth.n_visits, params.appearance_dim))
    door_view = look + params.appearance_noise * rng.standard_normal(look.shape)
    seen = rng.random(sample_visit.size) < params.p_detect
    xy = walk_xy[seen] + rng.standard_normal((seen.sum(), 2)) * params.detection_noise_m
    appearance = (
        look[sample_visit[seen]] + rng.standard_normal((seen.sum(), look.shape[1])) * params.appearance_noise
    )
    frame = sample_frame[seen]
    if params.clutter_per_frame > 0:
        busy = np.unique(sample_frame)
        n_clutter = rng.poisson(params.clutter_per_frame * busy.size)
        frame = np.r_[frame, rng.choice(busy, size=n_clutter)]
        xy = np.r_[xy, rng.random((n_clutter, 2)) * [world.layout.width_m, world.layout.depth_m]]
        appearance = np.r_[appearance, rng.standard_normal((n_clutter, look.shape[1]))]
    order = np.argsort(frame, kind="stable")
    return (frame[order], xy[order], appearance[order], door_view, sample_visit, sample_frame, walk_xy)


@pytest.mark.parametrize(
    ("changes", "room"),
    [
        ({}, None),
        ({"clutter_per_frame": 0.0}, None),
        ({"p_detect": 0.5, "clutter_per_frame": 0.3}, None),
        ({}, 0),
    ],
)
def test_the_compiled_walks_give_the_bits_of_whole_array_expressions(day, changes, room, monkeypatch):
    """Room 0: more clutter than the arrays left room for, so they grow."""
    if room is not None:
        monkeypatch.setattr(walks, "_clutter_room", lambda expected: room)
    cfg, world, truth = day
    params = _walk_params(cfg, **changes)
    detections, door_view, walk = observe_walks(world, truth, params, component_rng(0, "cams"))
    got = (detections.frame, detections.xy, detections.appearance, door_view, *vars(walk).values())
    expected = _array_walks(world, truth, params, component_rng(0, "cams"))
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.dtype == theirs.dtype and mine.tobytes() == theirs.tobytes()


def test_busy_frames_are_the_frames_some_visit_spans():
    rng = np.random.default_rng(2)
    first = rng.integers(-50, 400, 60)
    last = first + rng.integers(0, 30, 60)
    spanned = np.unique(np.concatenate([np.arange(a, b + 1) for a, b in zip(first, last, strict=True)]))
    assert np.array_equal(_busy_frames(first, last), spanned)


def test_clutter_merged_in_place_is_a_stable_sort_of_detections_then_clutter():
    rng = np.random.default_rng(3)
    seen_frame, clutter_frame = np.sort(rng.integers(0, 40, 300)), np.sort(rng.integers(0, 45, 60))
    seen_xy, clutter_xy = rng.normal(size=(300, 2)), rng.normal(size=(60, 2))
    seen_look, clutter_look = rng.normal(size=(300, 8)), rng.normal(size=(60, 8))
    order = np.argsort(np.r_[seen_frame, clutter_frame], kind="stable")
    frame, xy, look = seen_frame.copy(), seen_xy.copy(), seen_look.copy()
    frame.resize(360, refcheck=False)
    xy.resize((360, 2), refcheck=False)
    look.resize((360, 8), refcheck=False)
    _merge_from_the_back(frame, xy, look, 300, clutter_frame, clutter_xy, clutter_look)
    assert np.array_equal(frame, np.r_[seen_frame, clutter_frame][order])
    assert np.array_equal(xy, np.r_[seen_xy, clutter_xy][order])
    assert np.array_equal(look, np.r_[seen_look, clutter_look][order])


def _attribution(cfg, world, truth, walk_changes, tracker_changes) -> tuple[float, dict]:
    """Attribution accuracy over the true interactions, and the tracking metrics."""
    params = _walk_params(cfg, **walk_changes)
    detections, door, walk = observe_walks(world, truth, params, component_rng(0, "cams"))
    scans = EntryScans(truth.visit_shopper, truth.visit_exit_s, truth.visit_arrival_s, door)
    tracker = TrackerParams.from_config({**TRACKER, **tracker_changes})
    tracks = track_shoppers(detections, scans, world.layout.entry_xy, tracker)
    shelf = world.planogram.plate_shelf[truth.inter_plate]
    events = ShelfEvents(
        time_s=truth.inter_time_s,
        shelf=shelf,
        plate=truth.inter_plate,
    )
    presence = presence_from_tracks(world, tracks, events, tracker.zone_depth_m)
    visit, _ = attribute(presence, world.planogram.plate_offset_m[truth.inter_plate], 0.25)
    return float(np.mean(visit == truth.inter_visit)), tracking_metrics(walk, track_error(tracks, walk))


@pytest.mark.e2e
def test_tracking_attributes_well_and_losing_identity_costs_attribution(day):
    cfg, world, truth = day
    good, good_tracks = _attribution(cfg, world, truth, {}, {})
    weak_reid, weak_tracks = _attribution(
        cfg, world, truth, {"appearance_noise": 3.0, "detection_noise_m": 0.25}, {"appearance_noise": 3.0}
    )
    assert good_tracks["track_on_target"] > 0.97 and good > 0.85
    assert weak_tracks["track_visits_never_lost"] < good_tracks["track_visits_never_lost"]
    assert weak_reid < good - 0.03


def test_direct_presence_skips_tracking_and_still_attributes():
    record = run_comparison(compose_config([*TINY, "system=[weight_only]", "sensor.presence.mode=direct"]))
    assert not [key for key in record["scenario"] if key.startswith("track_")]
    assert 0.5 < record["systems"]["weight_only"]["attribution_accuracy"] <= 1.0


def test_non_finite_detections_are_ignored_as_misses():
    detections, scans, _ = _crossing(True, np.random.default_rng(0))
    params = TrackerParams.from_config(TRACKER)
    clean = track_shoppers(detections, scans, np.zeros(2), params)
    glitch = CameraDetections(
        frame=np.r_[detections.frame, [12, 20, 20]],
        xy=np.r_[detections.xy, [[np.nan, 1.0], [np.inf, 0.0], [1.0, 1.0]]],
        appearance=np.r_[detections.appearance, np.zeros((2, 8)), np.full((1, 8), np.nan)],
        frame_hz=detections.frame_hz,
    )
    order = np.argsort(glitch.frame, kind="stable")
    glitch = CameraDetections(
        glitch.frame[order], glitch.xy[order], glitch.appearance[order], glitch.frame_hz
    )
    assert np.array_equal(track_shoppers(glitch, scans, np.zeros(2), params).sample_xy, clean.sample_xy)


def test_the_look_distance_sums_as_numpy_does():
    """The tracker's compiled sum of squared look differences is np.sum's pairwise order."""
    rng = np.random.default_rng(8)
    for n in [*range(0, 40), 64, 127, 128, 129, 200, 300]:
        values = rng.random(n) * 10.0 ** rng.integers(-3, 4, n)
        assert _pairwise_sum(values) == np.sum(values), n


def _whole_matrix_pairs(state, look, z, seen_look, r, look_var, gate) -> set[tuple[int, int]]:
    """A frame's assignment as it was specified: scipy solves the whole (tracks × detections) cost
    matrix, with pairs outside the gate at 1e9, and the gated pairs are kept."""
    cost = np.full((state.shape[0], z.shape[0]), 1.0e9)
    for a in range(state.shape[0]):
        s = state[a, 4] + r
        for d in range(z.shape[0]):
            d2 = ((z[d, 0] - state[a, 0]) ** 2 + (z[d, 1] - state[a, 1]) ** 2) / s
            if not d2 > gate:
                cost[a, d] = d2 + 2.0 * math.log(s) + np.sum((seen_look[d] - look[a]) ** 2) / look_var
    return {(a, d) for a, d in zip(*linear_sum_assignment(cost), strict=True) if cost[a, d] < 1.0e9}


def test_a_frames_assignment_is_scipys_on_the_whole_matrix():
    """_assign lays the matrix out for the solver itself (transposed where detections are
    fewer) and checks it as it writes it; its pairs must be scipy's, ties included: coincident
    tracks, binary looks, every gate from tight to none, position alone."""
    rng = np.random.default_rng(12)
    for trial in range(2000):
        n_tracks, n_dets, dim = int(rng.integers(0, 7)), int(rng.integers(1, 7)), int(rng.choice([0, 3]))
        state = np.zeros((n_tracks, STATE_WIDTH))
        state[:, :2] = rng.integers(0, 3, (n_tracks, 2)) * 0.5  # a coarse grid: coincident tracks
        state[:, 4] = rng.choice([0.05, 0.3], n_tracks)
        look = rng.integers(0, 2, (n_tracks, dim)).astype(float)
        z = rng.integers(0, 3, (n_dets, 2)) * 0.5 + rng.choice([0.0, 0.1], (n_dets, 2))
        seen_look = rng.integers(0, 2, (n_dets, dim)).astype(float)
        gate = float(rng.choice([0.5, 9.0, np.inf]))
        rows, cols = _assign(state, look, z, seen_look, 0.01, 0.5, gate)
        assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == _whole_matrix_pairs(
            state, look, z, seen_look, 0.01, 0.5, gate
        ), trial
    look = np.full((1, 3), np.nan)  # an invalid cost is refused, as scipy refuses it
    with pytest.raises(ValueError, match="invalid"):
        _assign(np.zeros((1, STATE_WIDTH)), look, np.zeros((1, 2)), np.zeros((1, 3)), 0.01, 0.5, 9.0)
