"""The camera designs' own records: dwells from a stop detector on the tracks, empty reaches."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_day

from toolkit.behaviour import BehaviourParams, _nearest_shelf, detect_dwells, find_empty_reaches
from toolkit.sensors.observations import ShelfEvents, ShelfReaches
from toolkit.tracking import Tracks, at_shelf

HZ = 5.0


@pytest.fixture(scope="module")
def world():
    return small_day()[1]


def tracks_of(paths: list[np.ndarray], first_frame: list[int]) -> Tracks:
    """Tracks from per-visit floor paths (T, 2) sampled at HZ, starting at the given frames."""
    visit = np.concatenate([np.full(len(p), v) for v, p in enumerate(paths)])
    frame = np.concatenate([f + np.arange(len(p)) for f, p in zip(first_frame, paths, strict=True)])
    return Tracks(sample_visit=visit, sample_frame=frame, sample_xy=np.concatenate(paths), frame_hz=HZ)


def test_the_stop_detector_finds_a_stand_at_a_shelf_and_not_a_walk_past(world):
    x, y = world.layout.shelf_xy[0]
    # visit 0 stands 0.5 m in front of shelf 0 for 10 s; visit 1 walks straight through its zone at 1 m/s
    stand = np.tile([x, y - 0.5], (50, 1))
    walk = np.c_[np.full(20, x), y - 2.0 + np.arange(20) / HZ]
    dwells = detect_dwells(world, tracks_of([stand, walk], [1000, 1000]), zone_depth_m=1.2, min_dwell_s=3.0)
    assert dwells.visit.tolist() == [0] and dwells.shelf.tolist() == [0]
    assert dwells.start_s[0] == pytest.approx(200.0) and dwells.end_s[0] - dwells.start_s[0] == pytest.approx(
        10.0
    )


def test_a_reach_with_no_weight_change_is_an_empty_reach_put_down_to_the_shopper_there(world):
    plate = 0
    shelf = int(world.planogram.plate_shelf[plate])
    x = (
        world.layout.shelf_xy[shelf, 0]
        - 0.5 * world.layout.shelf_length_m[shelf]
        + world.planogram.plate_offset_m[plate]
    )
    y = world.layout.shelf_xy[shelf, 1]
    # visit 0 at the plate, visit 1 two metres along the shelf, both from 90 s to 210 s
    near = np.tile([x, y - 0.35], (600, 1))
    far = np.tile([x + 2.0, y - 0.35], (600, 1))
    tracks = tracks_of([near, far], [450, 450])
    reaches = ShelfReaches(time_s=np.array([100.0, 200.0]), shelf=np.full(2, shelf), plate=np.full(2, plate))
    events = ShelfEvents(time_s=np.array([101.0]), shelf=np.array([shelf]), plate=np.array([plate]))
    params = BehaviourParams(min_dwell_s=3.0, empty_reach_window_s=3.0, attribution_sigma_m=0.35)
    empty = find_empty_reaches(world, tracks, reaches, events, params, zone=1.2)
    assert empty.time_s.tolist() == [200.0] and empty.visit.tolist() == [0]


def test_each_position_is_put_to_the_nearest_shelf_whose_zone_it_stands_in():
    """The dwell detector's compiled labels: at_shelf's zones, the nearest front where they
    overlap, -1 in the aisles (and for a lost position)."""
    _, world, _ = small_day()
    layout = world.layout
    rng = np.random.default_rng(0)
    xy = np.c_[rng.uniform(-1, layout.width_m + 1, 50_000), rng.uniform(-1, layout.depth_m + 1, 50_000)]
    xy[:500, 1] = layout.shelf_xy[rng.integers(0, layout.n_shelves, 500), 1] + 0.1  # on a zone's edge
    xy[500:510] = np.nan
    near, _, depth = at_shelf(world, np.arange(layout.n_shelves)[None, :], xy[:, None, :], 0.6)
    expected = np.where(near.any(axis=1), np.argmin(np.where(near, depth, np.inf), axis=1), -1)
    label = np.empty(xy.shape[0], dtype=np.int64)
    left = layout.shelf_xy[:, 0] - 0.5 * layout.shelf_length_m
    _nearest_shelf(xy, left, layout.shelf_length_m, layout.shelf_xy[:, 1], 0.6, label)
    assert (expected >= 0).sum() > 500
    assert np.array_equal(label, expected)
