"""`make bench`: throughput of each stage in its natural unit, reference ratios, the default
store-day end to end with its peak memory, and how the store-day scales with visits and SKUs.

Measurements, not tests: run by hand on the machine you want to know about. Each stage runs on the
default config (convenience store, 60 SKUs, 1,000 visits) unless its row says otherwise.

    python benchmarks/run.py                 # everything but the sweep (about 6 minutes on 2 cores)
    python benchmarks/run.py --no-scaling    # without the scaling runs
    python benchmarks/run.py --sweep         # and a 100-job default-store sweep (about 10 more minutes)
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from filterpy.kalman import KalmanFilter
from hydra import compose, initialize_config_dir
from scipy.optimize import curve_fit

from toolkit.comparison import Plan, SensedDay, StageClock, plan_comparison, run_comparison, sense_day
from toolkit.comparison.pipeline import detect_events, simulate_shoppers
from toolkit.io import write_json_atomic
from toolkit.metrics.evaluate import system_metrics
from toolkit.report import collect, summarise
from toolkit.seeding import component_rng
from toolkit.sensors.kalman import kalman_level_filter
from toolkit.sensors.observations import Observations
from toolkit.sensors.rfid_gate import RfidGate, simulate_gate
from toolkit.systems import CheckoutSystem
from toolkit.vision.models import INFERENCE_BATCH, build_model, logits_in_batches
from toolkit.vision.render import RenderParams, render
from toolkit.vision.train import TrainParams

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
RAY_SITE = Path(os.environ.get("CHECKOUT_LAB_RAY_SITE", CONFIG_DIR.parent / ".venv" / "ray-site"))


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
    rows.append((f"CNN inference, batched ({INFERENCE_BATCH})", crops.shape[0] / seconds, "images/s"))
    single = crops[:256]
    with torch.no_grad():
        seconds, _ = timed(lambda: [model(single[i : i + 1]) for i in range(single.shape[0])], repeats=1)
    rows.append(("CNN inference, one crop at a time", single.shape[0] / seconds, "images/s"))
    return rows


def filter_rows() -> list[tuple[str, float, str]]:
    """The level filter on 200 plates × 1 simulated hour at 60 Hz, compiled, against
    filterpy's KalmanFilter stepped sample by sample (timed on a slice: the same cost per sample)."""
    rng = np.random.default_rng(0)
    plates, samples = 200, 3600 * 60
    z = rng.normal(500.0, 3.0, (plates, samples))
    seconds, _ = timed(lambda: kalman_level_filter(z, 0.05, 9.0, np.full(plates, 500.0), 9.0), repeats=1)
    compiled = plates * samples / seconds

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
        ("level filter, compiled (200 plates x 1 h x 60 Hz)", compiled, "samples/s"),
        ("level filter, filterpy per-sample loop", reference, "samples/s"),
        ("  ratio compiled / filterpy", compiled / reference, "x"),
    ]


def store_day_streams() -> list[tuple[str, float, str]]:
    """Streams and detection for a 200-plate store-day (50 shelves x 4 plates, 2,000 visits),
    through the pipeline's own stages."""
    overrides = [
        "store.n_shelves=50",
        "store.plates_per_shelf=4",
        "store.floor_area_m2=1200",
        "catalog.n_skus=400",
        "shoppers.visits_per_day=2000",
        "shoppers.population_size=5000",
    ]
    plan = plan_comparison(compose_with(overrides))
    _, truth = simulate_shoppers(plan)
    seconds, shelf = timed(lambda: detect_events(plan, truth), repeats=1)
    return [
        (f"store-day streams + detection, {plan.world.planogram.n_plates} plates", seconds, "s"),
        ("  shelf events detected per second", shelf.events.n_events / seconds, "events/s"),
    ]


Row = tuple[str, float, str]
SYSTEMS_WITHOUT_CNN = ("weight_only", "weight_history", "weight_pressure", "weight_pressure_history")
# Peak memory from VmHWM (this process image only): ru_maxrss survives exec on Linux and would
# report the benchmark parent's peak when that was higher.
STORE_DAY = """
import json, sys, time
from hydra import compose, initialize_config_dir
from toolkit.comparison import run_comparison
with initialize_config_dir(config_dir=sys.argv[1], version_base="1.3"):
    cfg = compose(config_name="compare", overrides=sys.argv[2:])
start = time.perf_counter()
record = run_comparison(cfg)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_mib": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024,
                  "events": record["scenario"]["n_detected_events"]}))
"""


class NoReviewer:
    def review(self, events, sku, count, visit):
        return sku, count, visit

    def extras(self, events):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty


def compose_with(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="compare", overrides=overrides)


def store_day(overrides: list[str]) -> dict[str, float]:
    """One store-day end to end in a fresh interpreter: its time, peak resident memory and events."""
    result = subprocess.run(
        [sys.executable, "-c", STORE_DAY, str(CONFIG_DIR), *overrides],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def growth_exponent(sizes: list[float], seconds: list[float]) -> float:
    """The a of time ~ size^a, least squares on log-log."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def event_slice(obs: Observations, index: np.ndarray) -> Observations:
    """The observations of some events only: every per-event array of the events, signals and
    presence is indexed; the rest (entry scans, records) is kept."""
    n = obs.events.n_events

    def take(item):
        if dataclasses.is_dataclass(item):
            return dataclasses.replace(
                item, **{f.name: take(getattr(item, f.name)) for f in dataclasses.fields(item) if f.init}
            )
        if isinstance(item, np.ndarray | torch.Tensor) and item.ndim and item.shape[0] == n:
            return item[index]
        return item

    return dataclasses.replace(
        obs,
        events=take(obs.events),
        readings={k: take(v) for k, v in obs.readings.items()},
        presence=take(obs.presence),
    )


UNITS = {
    "shoppers: population and visits": "visits/s",
    "load cells: streams and event detection": "events/s",
    "doors": "visits/s",
    "floor cameras: paths and person detections": "visits/s",
    "shopper tracking": "detections/s",
    "presence from tracks, dwells": "events/s",
    "tracking metrics and captures (judge)": "visits/s",
    "shelf cameras: reaches": "interactions/s",
}


def day_observations(cfg) -> tuple[Plan, SensedDay, list[Row]]:
    """The default store-day through the pipeline `make run` runs, with each stage's throughput
    (items per second of its wall time; sensors in events per second)."""
    plan = plan_comparison(cfg)
    clock = StageClock()
    day = sense_day(plan, clock)
    rows = [
        (f"stage: {name}", clock.items[name] / seconds, UNITS.get(name, "events/s"))
        for name, seconds in clock.seconds.items()
        if clock.items.get(name) and seconds > 0
    ]
    return plan, day, rows


def fusion_rows(plan: Plan, day: SensedDay, label: str = "", loop_events: int = 0) -> list[Row]:
    """Each fusion design's events per second over the whole batch, the metrics of its output, and
    (loop_events > 0) the same fusion called one event at a time on the first events."""
    rows: list[Row] = []
    obs, world, space = day.observations, plan.world, plan.space
    n = obs.events.n_events
    output = None
    for system in plan.systems:
        if not isinstance(system, CheckoutSystem):
            continue
        system.prepare(world, plan.seed)
        # fresh reading objects each call: the CNN's scores are shared per day's crops, not per call
        seconds, output = timed(lambda s=system: s.run(world, space, fresh_readings(obs), NoReviewer()))
        batched = n / seconds
        rows.append((f"fusion: {system.name}{label}", batched, "events/s"))
        if loop_events:
            pieces = [event_slice(obs, np.array([e])) for e in range(min(loop_events, n))]
            seconds, _ = timed(
                lambda s=system, p=pieces: [s.run(world, space, piece, NoReviewer()) for piece in p],
                repeats=1,
            )
            one_by_one = len(pieces) / seconds
            rows.append((f"  {system.name}, one event per call", one_by_one, "events/s"))
            rows.append(("  ratio batched / one event per call", batched / one_by_one, "x"))
    if not label and output is not None:
        seconds, _ = timed(lambda: system_metrics(output, day.truth, day.source, day.inter_event, world))
        rows.append(("metrics of one system", n / seconds, "events/s"))
    return rows


def fresh_readings(obs: Observations) -> Observations:
    """The same observations with new reading objects (same arrays), so that nothing computed for
    the previous call's crops is reused."""
    return dataclasses.replace(obs, readings={k: copy.copy(v) for k, v in obs.readings.items()})


def report_rows() -> list[Row]:
    """Collect and summarise a 40-run sweep's metrics.json files (the report's table stage)."""
    record = run_comparison(
        compose_with(
            ["shoppers.visits_per_day=100", "system=[weight_only,rfid_gate]", "sensor.presence.mode=direct"]
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        for job in range(40):
            record = {
                **record,
                "seed": job % 4,
                "overrides": [f"seed={job % 4}", f"shoppers.visits_per_day={job // 4}"],
            }
            write_json_atomic(Path(tmp) / str(job) / "metrics.json", record)

        def table():
            rows, scenario = collect([Path(tmp)])
            return summarise(rows, scenario, ["receipt_exact", "cost_annual"])

        seconds, _ = timed(table)
    return [("report: collect + summarise a sweep", 40 / seconds, "runs/s")]


def growth_rows(visits: list[int], seconds: list[float]) -> list[Row]:
    """How a store-day's time grows with its visits, by three readings of "once the fixed cost is
    subtracted", which count different costs as fixed: the straight line's intercept; the fixed
    cost fitted jointly with the exponent (t = F + c·visits^a); and a day of 10 visits, measured
    (the plan, numba's and the CNN's loading, the plates' disturbances, but not the per-day
    costs that grow with the hours shoppers are in the store, so the lowest of the three). The
    cost per visit between neighbouring sizes shows whether the curve bends."""
    per_visit, intercept = np.polyfit(visits, seconds, 1)
    rows: list[Row] = [
        ("  time per additional visit (slope of a straight-line fit)", 1000.0 * per_visit, "ms"),
        ("  the straight line's intercept", intercept, "s"),
        (
            "  growth exponent once that intercept is subtracted",
            _exponent_beyond(visits, seconds, intercept),
            "-",
        ),
    ]
    for (small, t_small), (large, t_large) in itertools.pairwise(zip(visits, seconds, strict=True)):
        rows.append(
            (
                f"  time per visit from {small} to {large} visits",
                1000.0 * (t_large - t_small) / (large - small),
                "ms",
            )
        )
    try:
        (fit_fixed, _, exponent), covariance = curve_fit(
            lambda v, f, c, a: f + c * v**a,
            np.array(visits, float),
            np.array(seconds),
            p0=(intercept, per_visit, 1.0),
        )
        rows += [
            ("  growth exponent fitted with the fixed cost (t = F + c·visits^a)", float(exponent), "-"),
            ("    its standard error", float(np.sqrt(covariance[2, 2])), "-"),
            ("    the fixed cost F of that fit", float(fit_fixed), "s"),
        ]
    except RuntimeError:  # no convergence: the row says so rather than vanish
        rows.append(
            ("  growth exponent fitted with the fixed cost: the fit did not converge", float("nan"), "-")
        )
    near_empty = store_day(["shoppers.visits_per_day=10", "shoppers.population_size=30"])["seconds"]
    rows.append(("store-day, 10 visits (what a near-empty day costs)", near_empty, "s"))
    rows.append(
        ("  growth exponent once that is subtracted", _exponent_beyond(visits, seconds, near_empty), "-")
    )
    return rows


def _exponent_beyond(visits: list[int], seconds: list[float], fixed: float) -> float:
    """The growth exponent of the time beyond `fixed`; NaN where some day took no longer."""
    variable = np.array(seconds) - fixed
    return growth_exponent(visits, variable) if np.all(variable > 0) else float("nan")


def scaling_rows() -> list[Row]:
    """End-to-end store-days as visits grow (every system), and as the catalog grows with the store
    (6 SKUs per shelf and 17 m² per shelf, as in the default; systems without the CNN, which would
    be trained anew for each catalog), with each fusion's time per event."""
    rows: list[Row] = []
    visits = [250, 500, 1000, 2000, 4000]
    seconds = []
    for n in visits:
        day = store_day([f"shoppers.visits_per_day={n}", f"shoppers.population_size={3 * n}"])
        seconds.append(day["seconds"])
        rows.append((f"store-day, {n} visits, all systems", day["seconds"], "s"))
    rows.append(("  growth exponent a (time ~ visits^a)", growth_exponent(visits, seconds), "-"))
    rows += growth_rows(visits, seconds)
    per_event = {}
    for n_skus in (60, 240, 1000):
        shelves = n_skus // 6
        overrides = [
            f"catalog.n_skus={n_skus}",
            f"store.n_shelves={shelves}",
            f"store.floor_area_m2={17 * shelves}",
            f"system=[{','.join(SYSTEMS_WITHOUT_CNN)}]",
            "sensor=[door,loadcell,presence,pressure]",
        ]
        day = store_day(overrides)
        rows.append((f"store-day, {n_skus} SKUs on {shelves} shelves, no CNN", day["seconds"], "s"))
        plan, sensed, _ = day_observations(compose_with(overrides))
        fusion = fusion_rows(plan, sensed, label=f", {n_skus} SKUs")
        rows += fusion
        per_event[n_skus] = {name: 1e6 / value for name, value, _ in fusion}
        rows.append(
            (
                f"  plate hypotheses per event (before the floor), {n_skus} SKUs",
                float(plan.space.valid.sum(axis=1).mean()),
                "-",
            )
        )
    for name in per_event[60]:
        slower = per_event[1000][name.replace("60 SKUs", "1000 SKUs")] / per_event[60][name]
        rows.append((f"  {name.split(',')[0]}: µs/event at 1000 vs 60 SKUs", slower, "x"))
    return rows


SWEEP_GRID = (
    "sensor.loadcell.noise_g=1,2,3,4,5,6,7,8,9,10",
    "sensor.camera.p_view_missing=0,0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.45",
)


def timed_sweep(sweep_dir: Path, launcher: list[str], env: dict | None = None) -> float:
    """Wall seconds of the 100-job default-store sweep through `launcher`, into `sweep_dir`."""
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            str(CONFIG_DIR.parent / "experiments" / "compare.py"),
            "-m",
            *launcher,
            *SWEEP_GRID,
            f"hydra.sweep.dir={sweep_dir}",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode:
        raise RuntimeError(f"the sweep through {' '.join(launcher)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def sweep_rows(ray_address: str | None) -> list[Row]:
    """A 100-job sweep of the default store (one catalog, one CNN, cached) through the local
    launcher, as `make sweep` runs it, and (with a Ray address) the same sweep through the Ray
    launcher on that cluster, with whether every metrics.json is byte-identical to the local one."""
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "local"
        seconds = timed_sweep(local, ["hydra/launcher=local"])
        results = sorted(local.glob("*/metrics.json"))
        rows = [
            (
                f"sweep of {len(results)} default store-days, local launcher (2 workers)",
                seconds / 60.0,
                "min",
            ),
            ("  seconds per store-day in that sweep", seconds / len(results), "s"),
        ]
        if ray_address:
            ray = Path(tmp) / "ray"
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(RAY_SITE), os.environ.get("PYTHONPATH", "")]),
            }
            launcher = ["hydra/launcher=ray_cluster", f"hydra.launcher.ray.init.address={ray_address}"]
            seconds = timed_sweep(ray, launcher, env)
            same = sum(
                (ray / path.relative_to(local)).read_bytes() == path.read_bytes()
                for path in results
                if (ray / path.relative_to(local)).is_file()
            )
            rows += [
                (f"the same sweep through Ray at {ray_address}", seconds / 60.0, "min"),
                ("  its metrics.json byte-identical to the local launcher's", same, f"of {len(results)}"),
            ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-scaling", action="store_true", help="skip the visit and SKU scaling runs")
    parser.add_argument("--sweep", action="store_true", help="add the 100-job default-store sweep")
    parser.add_argument(
        "--ray", metavar="ADDRESS", help="with --sweep: the same sweep on this Ray cluster (HOST:PORT)"
    )
    args = parser.parse_args()
    # compiled code and the CNN from their caches first, as in every run after a machine's first
    sense_day(plan_comparison(compose_with(["shoppers.visits_per_day=20", "shoppers.population_size=60"])))
    cfg = compose_with([])
    plan, day, rows = day_observations(cfg)
    rows += fusion_rows(plan, day, loop_events=200)
    world, truth = plan.world, day.truth

    gate = plan.sensor_of_type(RfidGate)
    walking = plan.shopper_params.walking_speed_mps
    rng = np.random.default_rng(0)
    for size in (5, 20, 80):
        basket = np.zeros_like(truth.basket)
        picks = rng.integers(world.catalog.n_skus, size=(truth.n_visits, size))
        np.add.at(basket, (np.repeat(np.arange(truth.n_visits), size), picks.ravel()), 1)
        sized = dataclasses.replace(truth, basket=basket)
        seconds, (_, gate_truth) = timed(
            lambda s=sized: simulate_gate(world, s, gate.params, walking, component_rng(0, "g")), repeats=1
        )
        rows.append((f"RFID gate, baskets of {size} items", gate_truth.entry_origin.size / seconds, "tags/s"))

    rows += report_rows()
    rows += vision_rows(cfg, world)
    rows += filter_rows()
    rows += store_day_streams()
    end_to_end = store_day([])
    rows.append(("default store-day, all systems, end to end", end_to_end["seconds"], "s"))
    rows.append(("  peak resident memory of that store-day", end_to_end["peak_mib"], "MiB"))
    for name in cfg.system:
        alone = store_day([f"system=[{name}]"])
        rows.append((f"  the same store-day with {name} alone", alone["seconds"], "s"))
    if not args.no_scaling:
        rows += scaling_rows()
    try:
        if args.sweep:
            rows += sweep_rows(args.ray)
    finally:  # a failed sweep still shows the rows measured before it
        width = max(len(name) for name, _, _ in rows)
        print(f"{'stage'.ljust(width)}  {'value':>14}  unit")
        for name, value, unit in rows:
            print(f"{name.ljust(width)}  {value:14,.2f}  {unit}")
        print(
            f"({truth.n_visits} visits, {day.observations.events.n_events} shelf events in the default "
            "store-day; "
            f"python {sys.version.split()[0]})"
        )


if __name__ == "__main__":
    main()
