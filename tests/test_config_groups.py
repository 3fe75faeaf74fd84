"""Every option of every config group composes, validates and builds, before any simulation."""

from __future__ import annotations

import pytest
from conftest import CONFIG_DIR, compose_config, real_data

from toolkit.comparison import plan_comparison
from toolkit.config import ConfigError

SINGLE_SELECT = ("catalog", "store", "shoppers", "costs", "vision", "experiment")
MULTI_SELECT = ("sensor", "system", "recognizer")


def options(group: str) -> list[str]:
    return sorted(path.stem for path in (CONFIG_DIR / group).glob("*.yaml"))


# a real store's catalog and fixtures go together, and need its data (tests/test_real_store.py)
REAL_STORES = {"aifi": "aifi_nanostore"}


@pytest.mark.parametrize(("group", "option"), [(g, o) for g in SINGLE_SELECT for o in options(g)])
def test_every_option_of_a_single_select_group_plans(group, option):
    overrides = [f"{group}={option}"]
    if group in ("catalog", "store") and option in REAL_STORES:
        real_data(REAL_STORES[option])
        overrides = [f"catalog={option}", f"store={option}"]
    plan = plan_comparison(compose_config(overrides))
    assert plan.world.catalog.n_skus > 0 and plan.systems


def test_the_default_lists_hold_and_build_every_option_of_the_multi_select_groups():
    cfg = compose_config()
    for group in MULTI_SELECT:
        assert set(cfg[group]) == set(options(group)), group
    plan = plan_comparison(cfg)  # every system, with every recognizer, instantiated
    assert {system.name for system in plan.systems} == set(options("system"))


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("catalog.n_skus=ten", "catalog.n_skus"),
        ("store.shelf_length_m=-1", "store.shelf_length_m"),
        ("tracking.accel_noise_mps2=0", "tracking.accel_noise_mps2"),
        ("sensor.presence.frame_hz=0", "sensor.presence.frame_hz"),
        ("sensor.presence.p_detect=1.2", "sensor.presence.p_detect"),
        ("vision.train.steps=-5", "vision.train.steps"),
        ("costs.operating_days_per_year=0", "costs.operating_days_per_year"),
        ("hypotheses.max_count=0", "hypotheses.max_count"),
    ],
)
def test_a_wrong_type_or_range_is_named_before_anything_runs(override, key):
    with pytest.raises(ConfigError, match=f"^{key}"):
        plan_comparison(compose_config([override]))
