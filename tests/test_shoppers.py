"""The simulated store-day: consistency of the ground truth and the behaviour rates."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compose_config

from toolkit.config import ConfigError
from toolkit.seeding import component_rng
from toolkit.shoppers import EMPTY_REACH, PUTBACK, TAKE, ShopperParams, make_population, simulate_day
from toolkit.world import make_world


def simulate(overrides=(), seed=0):
    cfg = compose_config(["catalog.n_skus=24", "store.n_shelves=4", *overrides])
    world = make_world(cfg.catalog, cfg.store, seed)
    params = ShopperParams.from_config(cfg.shoppers)
    population = make_population(params, world.catalog.n_skus, component_rng(seed, "pop"))
    return world, params, population, simulate_day(world, params, population, seed)


@pytest.fixture(scope="module")
def day():
    return simulate(["shoppers.visits_per_day=400"])


def test_basket_is_takes_minus_putbacks(day):
    *_, truth = day
    basket = np.zeros_like(truth.basket)
    lines = truth.inter_sku >= 0
    visits = np.broadcast_to(truth.inter_visit[:, None], lines.shape)
    np.add.at(basket, (visits[lines], truth.inter_sku[lines]), truth.inter_count[lines])
    assert np.array_equal(basket, truth.basket)
    assert (truth.basket >= 0).all()


def test_interactions_are_time_ordered_inside_their_visit(day):
    _, params, _, truth = day
    assert np.all(np.diff(truth.inter_time_s) >= 0)
    arrival, leave = truth.visit_arrival_s[truth.inter_visit], truth.visit_exit_s[truth.inter_visit]
    assert np.all((truth.inter_time_s >= arrival) & (truth.inter_time_s <= leave))
    assert truth.visit_arrival_s.min() >= params.opening_hours[0] * 3600


def test_every_interaction_happens_during_a_stop_at_its_shelf(day):
    world, _, _, truth = day
    shelf = world.planogram.plate_shelf[truth.inter_plate]
    same = (truth.stop_visit[None, :] == truth.inter_visit[:, None]) & (
        truth.stop_shelf[None, :] == shelf[:, None]
    )
    during = (truth.stop_start_s[None, :] <= truth.inter_time_s[:, None]) & (
        truth.stop_end_s[None, :] >= truth.inter_time_s[:, None]
    )
    assert (same & during).any(axis=1).all()


def test_about_thirty_percent_of_picks_are_bought(day):
    _, _, _, truth = day
    takes = (truth.inter_kind == TAKE).sum()
    putbacks = (truth.inter_kind == PUTBACK).sum()
    assert 1 - putbacks / takes == pytest.approx(0.30, abs=0.05)


def test_mixed_grabs_come_from_one_plate_and_misplaced_items_land_elsewhere(day):
    world, _, _, truth = day
    plano = world.planogram
    mixed = (truth.inter_sku[:, 1] >= 0) & (truth.inter_kind == TAKE)
    assert mixed.sum() > 0
    assert np.all(plano.sku_plate[truth.inter_sku[mixed, 0]] == plano.sku_plate[truth.inter_sku[mixed, 1]])
    wrong = truth.inter_misplaced
    assert wrong.sum() > 0
    assert np.all(plano.sku_plate[truth.inter_sku[wrong, 0]] != truth.inter_plate[wrong])
    right = (truth.inter_kind == PUTBACK) & ~wrong
    assert np.all(plano.sku_plate[truth.inter_sku[right, 0]] == truth.inter_plate[right])


def test_stock_outs_appear_only_when_stock_is_short():
    *_, scarce = simulate(
        ["store.units_per_facing=1", "store.facings_per_slot=1", "shoppers.restock_hours=[]"]
    )
    *_, ample = simulate(["store.units_per_facing=1000"])
    assert (scarce.inter_kind == EMPTY_REACH).sum() > 0
    assert (ample.inter_kind == EMPTY_REACH).sum() == 0


def test_no_slot_ever_sells_more_than_it_holds():
    world, _, _, truth = simulate(["store.units_per_facing=2", "shoppers.restock_hours=[]"])
    sold = truth.basket.sum(axis=0) + np.bincount(
        truth.inter_sku[truth.inter_misplaced, 0], minlength=world.catalog.n_skus
    )
    assert np.all(sold <= world.planogram.slot_stock[world.planogram.sku_slot])


def test_concurrent_shoppers_share_shelves(day):
    _, _, _, truth = day
    order = np.lexsort((truth.stop_start_s, truth.stop_shelf))
    same_shelf = truth.stop_shelf[order][1:] == truth.stop_shelf[order][:-1]
    overlap = truth.stop_start_s[order][1:] < truth.stop_end_s[order][:-1]
    assert (same_shelf & overlap).sum() > 0


def test_same_seed_same_day():
    a, b = simulate(seed=5)[3], simulate(seed=5)[3]
    assert np.array_equal(a.inter_time_s, b.inter_time_s) and np.array_equal(a.basket, b.basket)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("shoppers.p_misplaced=-0.1", "shoppers.p_misplaced"),
        ("shoppers.opening_hours=[9,8]", "opening_hours"),
    ],
)
def test_bad_shopper_values_name_the_key(override, key):
    cfg = compose_config([override])
    with pytest.raises(ConfigError, match=key):
        ShopperParams.from_config(cfg.shoppers)
