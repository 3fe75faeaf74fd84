"""Shared helpers: compose the real config (as Hydra would) and shrink it for speed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from toolkit.seeding import component_rng
from toolkit.shoppers import GroundTruth, ShopperParams, make_population, simulate_day
from toolkit.world import World, make_world

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "configs"
PLUGINS = Path(__file__).resolve().parent / "plugins"

# the real data others measured (configs/validate.yaml's data_root); tests on it skip where it is absent
REAL_DATA = Path(os.environ.get("CHECKOUT_LAB_DATA", ROOT.parent / "shared" / "data"))

# a small store-day: a few seconds per run on 2 cores (configs/debug/tiny.yaml)
TINY = ("debug=tiny",)

if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))


def real_data(folder: str) -> Path:
    """A folder of the real data, or skip the test saying it is absent."""
    path = REAL_DATA / folder
    if not path.is_dir():
        pytest.skip(f"{path}: real data not on this machine")
    return path


def compose_config(overrides: Sequence[str] = (), config_name: str = "compare") -> DictConfig:
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=config_name, overrides=list(overrides))


@pytest.fixture
def tiny_config() -> DictConfig:
    return compose_config(TINY)


def small_day(overrides: Sequence[str] = (), seed: int = 0) -> tuple[DictConfig, World, GroundTruth]:
    """Config, world and ground truth of a small store-day (24 SKUs, 4 shelves, 300 visits)."""
    cfg = compose_config(
        ["catalog.n_skus=24", "store.n_shelves=4", "shoppers.visits_per_day=300", *overrides]
    )
    world = make_world(cfg.catalog, cfg.store, seed)
    params = ShopperParams.from_config(cfg.shoppers)
    population = make_population(params, world.catalog.n_skus, component_rng(seed, "population"))
    return cfg, world, simulate_day(world, params, population, seed)


def run_sweep(sweep_dir: Path, *overrides: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`compare.py -m` on the tiny scenario into `sweep_dir`, as a user would run it."""
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "experiments" / "compare.py"),
            "-m",
            f"hydra.sweep.dir={sweep_dir}",
            *TINY,
            *overrides,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env=env,
    )
