"""A real store as a preset: catalog=aifi store=aifi builds the AiFi Nanostore's world."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compose_config, real_data
from test_validation import _aifi_folder

from toolkit.config import ConfigError
from toolkit.real_data.aifi import implied_planogram, read_aifi
from toolkit.world import MATERIALS, make_world

AIFI = ["catalog=aifi", "store=aifi"]


def test_the_preset_puts_each_product_on_the_plate_its_picks_came_from(tmp_path):
    folder = _aifi_folder(tmp_path / "aifi_nanostore")
    root = f"{tmp_path}"
    cfg = compose_config([*AIFI, f"catalog.data_root={root}", f"store.data_root={root}"])
    world = make_world(cfg.catalog, cfg.store, 0)
    assert world.catalog.n_skus == 2 and world.layout.n_shelves == 2 and world.planogram.n_plates == 4
    np.testing.assert_array_equal(world.catalog.weight_mean_g, [100.0, 104.0])
    # a's picks were on shelf 1 plate 1, b's on shelf 2 plate 1 (its put-back elsewhere does not count)
    np.testing.assert_array_equal(world.planogram.sku_shelf, [0, 1])
    np.testing.assert_allclose(world.planogram.plate_offset_m[world.planogram.sku_plate], [0.15, 0.15])
    assert read_aifi(folder).products.shape[0] == 2


def test_the_real_nanostore_world_matches_its_fixtures_and_labels():
    folder = real_data("aifi_nanostore")
    cfg = compose_config(AIFI)
    world = make_world(cfg.catalog, cfg.store, 0)
    store = read_aifi(folder)
    weighed = store.products[store.products["weight_g"] > 0]
    assert world.catalog.n_skus == len(weighed) == 83
    assert world.layout.n_shelves == 30 and world.planogram.n_plates == 306
    home = implied_planogram(store).loc[weighed.index]
    shelf_of = {
        key: i for i, key in enumerate(zip(store.shelves["gondola"], store.shelves["shelf"], strict=True))
    }
    expected = [shelf_of[(g, s)] for g, s in zip(home["gondola"], home["shelf"], strict=True)]
    np.testing.assert_array_equal(world.planogram.sku_shelf, expected)
    inside = world.planogram.slot_offset_m <= world.layout.shelf_length_m[world.planogram.sku_shelf]
    assert inside.all()
    assert set(np.unique(world.catalog.material)) <= set(range(len(MATERIALS)))


def test_a_real_catalog_with_a_synthetic_store_is_one_line_naming_both(tmp_path):
    with pytest.raises(ConfigError, match=r"store\.floor_depth_m"):
        cfg = compose_config([*AIFI, "store.floor_depth_m=-1"])
        make_world(cfg.catalog, cfg.store, 0)
    cfg = compose_config(["catalog=aifi", "store=aifi", f"store.data_root={tmp_path}"])
    with pytest.raises(ConfigError, match="must read the same store's data"):
        make_world(cfg.catalog, cfg.store, 0)
    cfg = compose_config(["catalog=aifi"])
    with pytest.raises(ConfigError, match=r"store\.source"):
        make_world(cfg.catalog, cfg.store, 0)


def test_a_missing_data_folder_is_named(tmp_path):
    cfg = compose_config([*AIFI, f"catalog.data_root={tmp_path}", f"store.data_root={tmp_path}"])
    with pytest.raises(FileNotFoundError, match="aifi_nanostore"):
        make_world(cfg.catalog, cfg.store, 0)
