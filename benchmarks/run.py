"""`make bench`: throughput of each stage in its natural unit, and the default store-day end to end.

Measurements, not tests: run by hand on the machine you want to know about. Each stage runs on the
default config (convenience store, 60 SKUs, 1,000 visits) unless its row says otherwise.
"""

from __future__ import annotations

import dataclasses
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from filterpy.kalman import KalmanFilter
from hydra import compose, initialize_config_dir

from toolkit.experiment import run_comparison
from toolkit.hypotheses import build_hypothesis_space
from toolkit.seeding import component_rng
from toolkit.sensors.camera import CameraParams, observe_crops
from toolkit.sensors.kalman import kalman_level_filter
from toolkit.sensors.loadcell import LoadcellParams, measure_events
from toolkit.sensors.loadcell_stream import StreamParams, simulate_streams_and_detect
from toolkit.sensors.observations import EntryScans, Observations, PurchaseRecords
from toolkit.sensors.presence import PresenceParams, observe_presence
from toolkit.sensors.pressure import PressureParams, observe_pressure
from toolkit.sensors.rfid_gate import GateParams, simulate_gate
from toolkit.shoppers import ShopperParams, make_population, simulate_day
from toolkit.systems import CheckoutSystem, build_systems
from toolkit.vision.models import build_model, logits_in_batches
from toolkit.vision.render import RenderParams, render
from toolkit.vision.train import TrainParams
from toolkit.world import make_world

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"


def timed(fn: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """Best wall time of `repeats` calls (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def vision_rows(cfg, world) -> list[tuple[str, float, str]]:
    """Crops rendered per second, and the default CNN's inference batched against one crop at a time."""
    render_params = RenderParams.from_config(cfg.vision.render)
    table = torch.as_tensor(world.catalog.appearance, dtype=torch.float32)
    picks = torch.randint(0, world.catalog.n_skus, (4096,), generator=torch.Generator().manual_seed(0))
    seconds, crops = timed(
        lambda: render(table[picks], render_params, torch.Generator().manual_seed(1)), repeats=1
    )
    rows = [("crop rendering", picks.numel() / seconds, "crops/s")]
    model = build_model(TrainParams.from_config(cfg.vision.train).model, world.catalog.n_skus).eval()
    seconds, _ = timed(lambda: logits_in_batches(model, crops), repeats=1)
    rows.append(("CNN inference, batched (512)", crops.shape[0] / seconds, "images/s"))
    single = crops[:256]
    with torch.no_grad():
        seconds, _ = timed(lambda: [model(single[i : i + 1]) for i in range(single.shape[0])], repeats=1)
    rows.append(("CNN inference, one crop at a time", single.shape[0] / seconds, "images/s"))
    return rows


def filter_rows() -> list[tuple[str, float, str]]:
    """The level filter on 200 plates × 1 simulated hour at 60 Hz, vectorised over plates, against
    filterpy's KalmanFilter stepped sample by sample (timed on a slice: the same cost per sample)."""
    rng = np.random.default_rng(0)
    plates, samples = 200, 3600 * 60
    z = rng.normal(500.0, 3.0, (plates, samples))
    seconds, _ = timed(lambda: kalman_level_filter(z, 0.05, 9.0, np.full(plates, 500.0), 9.0), repeats=1)
    vectorised = plates * samples / seconds

    def filterpy_loop(values: np.ndarray) -> None:
        kf = KalmanFilter(dim_x=1, dim_z=1)
        kf.F[:], kf.H[:], kf.Q[:], kf.R[:], kf.x[:], kf.P[:] = 1.0, 1.0, 0.05, 9.0, 500.0, 9.0
        for value in values:
            kf.predict()
            kf.update(value)

    piece = z[0, : 60 * 60 * 5]
    seconds, _ = timed(lambda: filterpy_loop(piece), repeats=1)
    reference = piece.size / seconds
    return [
        ("level filter, vectorised (200 plates x 1 h x 60 Hz)", vectorised, "samples/s"),
        ("level filter, filterpy per-sample loop", reference, "samples/s"),
        ("  ratio vectorised / filterpy", vectorised / reference, "x"),
    ]


def store_day_streams(cfg) -> list[tuple[str, float, str]]:
    """Streams and detection for a 200-plate store-day (50 shelves x 4 plates, 2,000 visits)."""
    store = {**cfg.store, "n_shelves": 50, "plates_per_shelf": 4, "floor_area_m2": 1200.0}
    world = make_world({**cfg.catalog, "n_skus": 400}, store, 0)
    params = ShopperParams.from_config({**cfg.shoppers, "visits_per_day": 2000, "population_size": 5000})
    population = make_population(params, world.catalog.n_skus, component_rng(0, "population"))
    truth = simulate_day(world, params, population, 0)
    stream = StreamParams.from_config(cfg.sensor.loadcell)
    seconds, (events, *_rest) = timed(
        lambda: simulate_streams_and_detect(world, truth, stream, component_rng(0, "s")), repeats=1
    )
    return [
        (f"store-day streams + detection, {world.planogram.n_plates} plates", seconds, "s"),
        ("  shelf events detected per second", events.n_events / seconds, "events/s"),
    ]


def main() -> None:
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="compare")
    seed = 0
    rows: list[tuple[str, float, str]] = []
    world = make_world(cfg.catalog, cfg.store, seed)
    params = ShopperParams.from_config(cfg.shoppers)

    def day():
        population = make_population(
            params, world.catalog.n_skus, component_rng(seed, "shoppers", "population")
        )
        return population, simulate_day(world, params, population, seed)

    seconds, (population, truth) = timed(day)
    rows.append(("world + store-day simulation", truth.n_visits / seconds, "visits/s"))

    loadcell = LoadcellParams.from_config(cfg.sensor.loadcell)
    seconds, (events, readings, source) = timed(
        lambda: measure_events(world, truth, loadcell, component_rng(seed, "sensor", "loadcell"))
    )
    rows.append(("load-cell events (per-event model)", events.n_events / seconds, "events/s"))
    presence_params = PresenceParams.from_config(cfg.sensor.presence)
    seconds, presence = timed(
        lambda: observe_presence(world, truth, events, source, presence_params, component_rng(seed, "p"))
    )
    rows.append(("camera presence", events.n_events / seconds, "events/s"))

    pressure_params = PressureParams.from_config(cfg.sensor.pressure)
    seconds, pressure = timed(
        lambda: observe_pressure(world, truth, events, source, pressure_params, component_rng(seed, "m"))
    )
    rows.append(("pressure mats", events.n_events / seconds, "events/s"))
    camera_params = CameraParams.from_config(cfg.sensor.camera)
    render_params = RenderParams.from_config(cfg.vision.render)
    seconds, crops = timed(
        lambda: observe_crops(
            world, truth, events, source, presence, render_params, camera_params, component_rng(seed, "c")
        ),
        repeats=1,
    )
    rows.append(("camera crops for every event (2 views)", events.n_events / seconds, "events/s"))
    space = build_hypothesis_space(world, cfg.hypotheses)
    obs = Observations(
        events,
        {"loadcell": readings, "pressure": pressure, "camera": crops},
        presence,
        EntryScans(truth.visit_shopper, truth.visit_exit_s),
        PurchaseRecords(population.past_counts),
    )

    class NoReviewer:
        def review(self, events, sku, count, visit):
            return sku, count, visit

    for system in build_systems(cfg.system, cfg.recognizer):
        if isinstance(system, CheckoutSystem):
            system.prepare(world, seed)
            seconds, _ = timed(lambda s=system: s.run(world, space, obs, NoReviewer()))
            rows.append((f"fusion: {system.name}", events.n_events / seconds, "events/s"))

    gate = GateParams.from_config(cfg.sensor.rfid_gate)
    rng = np.random.default_rng(0)
    for size in (5, 20, 80):
        basket = np.zeros_like(truth.basket)
        picks = rng.integers(world.catalog.n_skus, size=(truth.n_visits, size))
        np.add.at(basket, (np.repeat(np.arange(truth.n_visits), size), picks.ravel()), 1)
        sized = dataclasses.replace(truth, basket=basket)
        seconds, (_, gate_truth) = timed(
            lambda s=sized: simulate_gate(world, s, gate, params.walking_speed_mps, component_rng(0, "g")),
            repeats=1,
        )
        rows.append((f"RFID gate, baskets of {size} items", gate_truth.entry_kind.size / seconds, "tags/s"))

    rows += vision_rows(cfg, world)
    rows += filter_rows()
    rows += store_day_streams(cfg)

    seconds, record = timed(lambda: run_comparison(cfg), repeats=1)
    rows.append(("default store-day, all systems, end to end", seconds, "s"))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    width = max(len(name) for name, _, _ in rows)
    print(f"{'stage'.ljust(width)}  {'throughput':>14}  unit")
    for name, value, unit in rows:
        print(f"{name.ljust(width)}  {value:14,.1f}  {unit}")
    print(f"peak resident memory: {peak_mib:,.0f} MiB")
    print(
        f"({record['scenario']['n_visits']} visits, {record['scenario']['n_detected_events']} shelf events; "
        f"python {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main()
