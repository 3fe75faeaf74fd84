"""The hypothesis space covers what shoppers do, and decisions compare canonically."""

from __future__ import annotations

import numpy as np
from conftest import compose_config, small_day

from toolkit.hypotheses import KIND_MISPLACED, build_hypothesis_space, canonical_lines
from toolkit.shoppers import EMPTY_REACH
from toolkit.world import make_world


def test_canonical_lines_sort_merge_and_drop_empty_lines():
    sku = np.array([[5, 2], [3, 3], [4, 7], [-1, 6]])
    count = np.array([[1, 1], [1, 2], [0, -1], [0, 2]])
    out_sku, out_count = canonical_lines(sku, count)
    assert out_sku.tolist() == [[2, 5], [3, -1], [7, -1], [6, -1]]
    assert out_count.tolist() == [[1, 1], [3, 0], [-1, 0], [2, 0]]


def test_nearly_every_true_interaction_is_a_hypothesis_of_its_plate():
    cfg, world, truth = small_day()
    space = build_hypothesis_space(world, cfg.hypotheses)
    moves = truth.inter_kind != EMPTY_REACH
    hyps = space.for_plates(truth.inter_plate[moves])
    match = (hyps.sku == truth.inter_sku[moves][:, None]) & (hyps.count == truth.inter_count[moves][:, None])
    covered = (match.all(axis=-1) & hyps.valid).any(axis=1)
    # only a misplaced put-back of a mixed grab (two items on a foreign plate) falls outside
    assert covered.mean() > 0.99


def test_misplaced_floor_holds_single_put_backs_from_other_shelves():
    cfg = compose_config(["catalog.n_skus=24", "store.n_shelves=4"])
    world = make_world(cfg.catalog, cfg.store, 0)
    space = build_hypothesis_space(world, cfg.hypotheses)
    plate = 0
    floor = space.kind[plate] == KIND_MISPLACED
    skus = space.sku[plate, floor, 0]
    assert np.all(space.count[plate, floor, 0] == -1)
    assert np.all(world.planogram.sku_shelf[skus] != world.planogram.plate_shelf[plate])
    off = build_hypothesis_space(world, {**cfg.hypotheses, "misplaced_floor": False})
    assert not (off.kind == KIND_MISPLACED).any()
