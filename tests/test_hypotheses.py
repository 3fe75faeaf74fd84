"""The hypothesis space covers what shoppers do, and decisions compare canonically."""

from __future__ import annotations

import numpy as np
from conftest import compose_config, small_day

from toolkit.carts import CartLedger, misplaced_floor
from toolkit.hypotheses import FORM_MISPLACED, build_hypothesis_space, canonical_lines, join_hypotheses
from toolkit.shoppers import EMPTY_REACH
from toolkit.world import make_world


def test_canonical_lines_sort_merge_and_drop_empty_lines():
    sku = np.array([[5, 2], [3, 3], [4, 7], [-1, 6]])
    count = np.array([[1, 1], [1, 2], [0, -1], [0, 2]])
    out_sku, out_count = canonical_lines(sku, count)
    assert out_sku.tolist() == [[2, 5], [3, -1], [7, -1], [6, -1]]
    assert out_count.tolist() == [[1, 1], [3, 0], [-1, 0], [2, 0]]


def test_nearly_every_true_interaction_is_a_hypothesis_of_its_plate_or_its_floor():
    cfg, world, truth = small_day()
    space = build_hypothesis_space(world, cfg.hypotheses)
    assert not (space.form == FORM_MISPLACED).any()  # the floor is per event, not per plate
    moves = truth.inter_kind != EMPTY_REACH
    # the floor of each move, from the true carts, with the actor among the shoppers seen
    ledger = CartLedger.from_decisions(
        truth.inter_visit, truth.inter_sku, truth.inter_count, truth.inter_time_s, world.catalog.n_skus
    )
    floor = misplaced_floor(
        ledger,
        truth.inter_visit[moves][:, None],
        truth.inter_time_s[moves],
        world.planogram.plate_shelf[truth.inter_plate[moves]],
        world.planogram.sku_shelf,
    )
    hyps = join_hypotheses(space.for_plates(truth.inter_plate[moves]), floor)
    match = (hyps.sku == truth.inter_sku[moves][:, None]) & (hyps.count == truth.inter_count[moves][:, None])
    covered = (match.all(axis=-1) & hyps.valid).any(axis=1)
    # only a misplaced put-back of several units (or of a mixed grab) falls outside
    assert covered.mean() > 0.99
    assert covered[truth.inter_misplaced[moves]].mean() > 0.8


def test_the_floor_holds_foreign_items_the_shoppers_present_carry():
    # SKU shelves: 0,1 on shelf 0; 2,3 on shelf 1; 4,5 on shelf 2
    sku_shelf = np.array([0, 0, 1, 1, 2, 2])
    visit = np.array([0, 0, 0, 1, 2])
    sku = np.array([[0, -1], [2, -1], [0, -1], [4, -1], [1, -1]])
    count = np.array([[1, 0], [1, 0], [-1, 0], [2, 0], [1, 0]])
    time = np.array([10.0, 20.0, 30.0, 5.0, 1.0])
    ledger = CartLedger.from_decisions(visit, sku, count, time, n_skus=6)
    # an event on shelf 1 at t = 40 seen with visits 0 and 1; visit 2 is elsewhere
    floor = misplaced_floor(ledger, np.array([[0, 1, -1]]), np.array([40.0]), np.array([1]), sku_shelf)
    listed = floor.sku[0, floor.valid[0], 0]
    # visit 0 put SKU 0 back already and SKU 2 belongs here; visit 1 carries SKU 4; visit 2 is not seen
    assert listed.tolist() == [4]
    assert np.all(floor.count[0, floor.valid[0], 0] == -1)
    assert np.all(floor.form[floor.valid] == FORM_MISPLACED)
    # before visit 1 took it, nothing foreign was carried
    early = misplaced_floor(ledger, np.array([[0, 1]]), np.array([4.0]), np.array([1]), sku_shelf)
    assert not early.valid.any()
    # a larger catalog does not widen the floor
    wide = CartLedger.from_decisions(visit, sku, count, time, n_skus=6000)
    more = misplaced_floor(
        wide, np.array([[0, 1, -1]]), np.array([40.0]), np.array([1]), np.r_[sku_shelf, np.full(5994, 3)]
    )
    assert more.shape == floor.shape


def test_the_floor_can_be_switched_off():
    cfg = compose_config(["catalog.n_skus=24", "store.n_shelves=4"])
    world = make_world(cfg.catalog, cfg.store, 0)
    assert build_hypothesis_space(world, cfg.hypotheses).misplaced_floor
    off = build_hypothesis_space(world, {**cfg.hypotheses, "misplaced_floor": False})
    assert not off.misplaced_floor
