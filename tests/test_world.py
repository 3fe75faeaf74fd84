"""Catalog, layout and planogram generation."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compose_config

from toolkit.config import ConfigError
from toolkit.seeding import component_rng
from toolkit.world import APPEARANCE_FIELDS, MATERIALS, make_catalog, make_world


@pytest.fixture(scope="module")
def cfg():
    return compose_config()


def test_same_seed_same_world_and_new_seed_new_world(cfg):
    a, b, c = (make_world(cfg.catalog, cfg.store, s) for s in (1, 1, 2))
    assert np.array_equal(a.catalog.weight_mean_g, b.catalog.weight_mean_g)
    assert np.array_equal(a.planogram.slot_sku, b.planogram.slot_sku)
    assert not np.array_equal(a.catalog.weight_mean_g, c.catalog.weight_mean_g)


def test_every_sku_has_exactly_one_slot_and_stock(cfg):
    world = make_world(cfg.catalog, cfg.store, 0)
    plano = world.planogram
    stocked = plano.slot_sku[plano.slot_sku >= 0]
    assert sorted(stocked.tolist()) == list(range(world.catalog.n_skus))
    assert np.array_equal(plano.slot_sku[plano.sku_slot], np.arange(world.catalog.n_skus))
    assert (plano.slot_stock[plano.sku_slot] > 0).all()
    assert (plano.plate_offset_m < world.layout.shelf_length_m[plano.plate_shelf]).all()


def test_lookalikes_share_a_design_but_not_the_patch(cfg):
    catalog = make_catalog(cfg.catalog, component_rng(0, "c"))
    groups, sizes = np.unique(catalog.lookalike_group, return_counts=True)
    big = groups[sizes >= 2][0]
    members = catalog.appearance[catalog.lookalike_group == big]
    patch = APPEARANCE_FIELDS.index("patch_hue")
    shared = [i for i in range(len(APPEARANCE_FIELDS)) if i != patch]
    assert np.allclose(members[:, shared], members[0, shared])
    assert len(np.unique(members[:, patch])) == len(members)
    assert (sizes >= 2).sum() > 0


@pytest.mark.parametrize(("collision", "expect_same"), [(1.0, True), (0.0, False)])
def test_weight_collision_controls_lookalike_weights(cfg, collision, expect_same):
    node = {**cfg.catalog, "weight_collision": collision, "lookalike_share": 0.8}
    catalog = make_catalog(node, component_rng(0, "c"))
    group = catalog.lookalike_group
    same_as_group = catalog.weight_mean_g == catalog.weight_mean_g[np.searchsorted(group, group)]
    in_group = np.bincount(group)[group] >= 2
    assert same_as_group[in_group].all() == expect_same


def test_lookalike_variants_are_shelved_side_by_side(cfg):
    world = make_world({**cfg.catalog, "lookalike_share": 0.6}, cfg.store, 0)
    plate = world.planogram.sku_shelf
    group = world.catalog.lookalike_group
    together = [len(set(plate[group == g])) == 1 for g in np.unique(group) if (group == g).sum() >= 2]
    assert np.mean(together) > 0.5


def test_presets_differ_as_real_stores_do():
    mixes = {}
    for name in ("convenience", "grocery", "apparel"):
        cfg = compose_config([f"catalog={name}"])
        catalog = make_catalog(cfg.catalog, component_rng(0, "c"))
        mixes[name] = np.bincount(catalog.material, minlength=len(MATERIALS)) / catalog.n_skus
    hard = [MATERIALS.index(m) for m in ("liquid", "metal", "foil")]
    assert mixes["grocery"][hard].sum() > mixes["apparel"][hard].sum()
    assert mixes["apparel"][MATERIALS.index("plain")] > 0.8


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("n_skus", 0, "catalog.n_skus"),
        ("weight_std_g", -1.0, "catalog.weight_std_g"),
        ("lookalike_share", 1.2, "catalog.lookalike_share"),
        ("material_mix", {"plastic": 1.0}, "catalog.material_mix"),
    ],
)
def test_bad_catalog_values_name_the_key(cfg, key, value, message):
    with pytest.raises(ConfigError, match=message):
        make_catalog({**cfg.catalog, key: value}, component_rng(0, "c"))
