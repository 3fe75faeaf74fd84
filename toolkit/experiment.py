"""One comparison run: simulate a store-day once, run every configured system on it, score each.

Kept out of experiments/ so notebooks and tests call the same code as the command line.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.behaviour import BehaviourParams, detect_dwells, find_empty_reaches
from toolkit.config import ConfigError, number, probability
from toolkit.hypotheses import HypothesisSpace, build_hypothesis_space
from toolkit.metrics.cost import PriceBook, annual_cost, break_even_visits
from toolkit.metrics.data_yield import (
    Capture,
    camera_capture,
    dwell_false_share,
    empty_reach_capture,
    fusion_capture,
    shelf_tag_capture,
    track_capture,
    yield_metrics,
)
from toolkit.metrics.detection import detection_metrics
from toolkit.metrics.evaluate import basket_metrics, store_facts, system_metrics
from toolkit.metrics.rfid import gate_metrics, shelf_metrics
from toolkit.metrics.tracking import tracking_metrics
from toolkit.review import HumanReviewer
from toolkit.seeding import component_rng
from toolkit.sensors.camera import CameraParams, observe_crops, observe_reaches
from toolkit.sensors.door import DoorParams, observe_doors
from toolkit.sensors.loadcell import LoadcellParams
from toolkit.sensors.loadcell_stream import detect_shelf_events
from toolkit.sensors.observations import (
    EntryScans,
    Observations,
    Presence,
    PurchaseRecords,
    ShelfEvents,
    ShelfReaderSignal,
)
from toolkit.sensors.presence import PresenceParams, observe_presence, observe_stops
from toolkit.sensors.pressure import PressureParams, observe_pressure
from toolkit.sensors.rfid_gate import GateParams, GateTruth, simulate_gate
from toolkit.sensors.rfid_shelf import ShelfReaderParams, ShelfTruth, simulate_shelf_readers
from toolkit.sensors.walks import WalkParams, observe_walks
from toolkit.shoppers import EMPTY_REACH, PUTBACK, GroundTruth, ShopperParams, make_population, simulate_day
from toolkit.systems import BasketOutput, SystemOutput, build_systems
from toolkit.tracking import TrackerParams, Tracks, presence_from_tracks, track_shoppers
from toolkit.vision.render import RenderParams
from toolkit.world import World, make_world

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
REACH_TOLERANCE_S = 2.0  # judge: a flagged empty reach this close to a true one on its plate is it


def _section(cfg: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    if key not in cfg or cfg[key] is None:
        raise ConfigError(f"{key}: missing config section")
    return cfg[key]


@dataclass(frozen=True)
class FloorCameras:
    """What the ceiling cameras give every camera design: who stood at each event's shelf, the
    door camera's look of each visit (tracking mode), tracking metrics, and the dwell and path
    events they recorded."""

    presence: Presence
    door_view: np.ndarray | None
    metrics: dict[str, float | None]
    captures: dict[str, Capture]
    tracks: Tracks | None = None
    zone_depth_m: float = 0.0

    def shelf_reader_view(self, world: World, signal: ShelfReaderSignal) -> ShelfReaderSignal:
        """Who the tracks put at each smart-shelf tag event's shelf when the reader's cycles say
        the tag moved (the direct model's view is kept in direct mode)."""
        if self.tracks is None:
            return signal
        events = signal.events
        when = ShelfEvents(time_s=events.moved_s, shelf=events.shelf, plate=events.plate)
        return replace(signal, presence=presence_from_tracks(world, self.tracks, when, self.zone_depth_m))


def _floor_cameras(
    world: World, truth: GroundTruth, events: ShelfEvents, source: np.ndarray, scans: EntryScans, plan: Plan
) -> FloorCameras:
    """Tracks from simulated detections, born at the entry scans and ended by the exit gate
    (tracking mode), or in direct mode a noisy position of each shopper at the shelf and stops
    seen with probability p_stop_seen."""
    if plan.walk_params is None or plan.tracker_params is None:
        rng = component_rng(plan.seed, "sensor", "presence")
        presence = observe_presence(world, truth, events, source, plan.presence_params, rng)
        stops_rng = component_rng(plan.seed, "sensor", "camera_stops")
        stops_seen = observe_stops(truth, plan.presence_params, stops_rng)
        return FloorCameras(presence, None, {}, camera_capture(stops_seen, truth))
    detections, door_view, walk = observe_walks(
        world, truth, plan.walk_params, component_rng(plan.seed, "sensor", "floor_cameras")
    )
    scans = replace(scans, visit_appearance=door_view)
    zone = plan.tracker_params.zone_depth_m
    tracks = track_shoppers(detections, scans, world.layout.entry_xy, plan.tracker_params)
    dwells = detect_dwells(world, tracks, zone, plan.behaviour.min_dwell_s)
    return FloorCameras(
        presence=presence_from_tracks(world, tracks, events, zone),
        door_view=door_view,
        metrics={**tracking_metrics(tracks, walk), "dwell_false_share": dwell_false_share(dwells, truth)},
        captures=track_capture(tracks, walk, truth, dwells),
        tracks=tracks,
        zone_depth_m=zone,
    )


@dataclass(frozen=True)
class Plan:
    """A comparison's settings, every one checked: what `run_comparison` builds before any work."""

    seed: int
    shopper_params: ShopperParams
    door_params: DoorParams
    loadcell_cfg: Mapping[str, Any]
    presence_params: PresenceParams
    walk_params: WalkParams | None
    tracker_params: TrackerParams | None
    behaviour: BehaviourParams
    pressure_params: PressureParams | None
    camera_params: CameraParams | None
    render_params: RenderParams | None
    review_error: float
    prices: PriceBook
    gate_params: GateParams | None
    shelf_params: ShelfReaderParams | None
    systems: list
    world: World
    space: HypothesisSpace


def plan_comparison(cfg: Mapping[str, Any]) -> Plan:
    """Check the whole config (every section and every system) and build the store; raises
    ConfigError naming the first bad key before anything is simulated."""
    seed = number(cfg, "seed", "", low=0, integer=True)
    sensors = _section(cfg, "sensor")
    loadcell_cfg = _section(sensors, "loadcell")
    LoadcellParams.from_config(loadcell_cfg)
    presence_cfg = _section(sensors, "presence")
    presence_params = PresenceParams.from_config(presence_cfg)
    tracked = presence_params.mode == "tracks"
    camera_params = CameraParams.from_config(sensors["camera"]) if "camera" in sensors else None
    plan = dict(
        seed=seed,
        shopper_params=ShopperParams.from_config(_section(cfg, "shoppers")),
        door_params=DoorParams.from_config(_section(sensors, "door")),
        loadcell_cfg=loadcell_cfg,
        presence_params=presence_params,
        walk_params=WalkParams.from_config(presence_cfg) if tracked else None,
        tracker_params=TrackerParams.from_config(_section(cfg, "tracking")) if tracked else None,
        behaviour=BehaviourParams.from_config(_section(cfg, "behaviour")),
        pressure_params=PressureParams.from_config(sensors["pressure"]) if "pressure" in sensors else None,
        camera_params=camera_params,
        render_params=RenderParams.from_config(_section(cfg, "vision")["render"]) if camera_params else None,
        review_error=probability(_section(cfg, "review"), "error_rate", "review"),
        prices=PriceBook.from_config(_section(cfg, "costs")),
        gate_params=GateParams.from_config(sensors["rfid_gate"]) if "rfid_gate" in sensors else None,
        shelf_params=ShelfReaderParams.from_config(sensors["rfid_shelf"])
        if "rfid_shelf" in sensors
        else None,
        systems=build_systems(_section(cfg, "system"), _section(cfg, "recognizer")),
    )
    available = {"loadcell"} | {
        name
        for name, key in (
            ("pressure", "pressure_params"),
            ("camera", "camera_params"),
            ("rfid_gate", "gate_params"),
            ("rfid_shelf", "shelf_params"),
        )
        if plan[key] is not None
    }
    for system in plan["systems"]:
        missing = system.signals - available
        if missing:
            raise ConfigError(
                f"system.{system.name}: needs sensor {sorted(missing)}; configured: {sorted(available)}"
            )
    world = make_world(_section(cfg, "catalog"), _section(cfg, "store"), seed)
    space = build_hypothesis_space(world, _section(cfg, "hypotheses"))
    return Plan(**plan, world=world, space=space)


@dataclass(frozen=True)
class SensedDay:
    """One store-day as simulated and as sensed. Designs see `observations` and the reviewer only;
    the rest is the judge's: the truth, event-to-interaction links and sensor-side truths."""

    truth: GroundTruth
    observations: Observations
    reviewer: HumanReviewer
    source: np.ndarray
    inter_event: np.ndarray
    cameras: FloorCameras
    stream_truth: Any
    gate: GateTruth | None
    shelf: ShelfTruth | None


def sense_day(plan: Plan) -> SensedDay:
    """Simulate the day's shoppers and every configured sensor's view of them."""
    world, seed = plan.world, plan.seed
    population = make_population(
        plan.shopper_params, world.catalog.n_skus, component_rng(seed, "shoppers", "population")
    )
    truth = simulate_day(world, plan.shopper_params, population, seed)
    events, readings, source, inter_event, stream_truth = detect_shelf_events(
        world,
        truth,
        plan.loadcell_cfg,
        plan.pressure_params,
        component_rng(seed, "sensor", "loadcell"),
    )
    scans = observe_doors(truth, plan.door_params, component_rng(seed, "sensor", "door"))
    cameras = _floor_cameras(world, truth, events, source, scans, plan)
    presence = cameras.presence
    signals: dict[str, Any] = {"loadcell": readings}
    if plan.pressure_params is not None:
        signals["pressure"] = observe_pressure(
            world,
            truth,
            events,
            source,
            plan.pressure_params,
            component_rng(seed, "sensor", "pressure"),
            inter_event,
        )
    if plan.camera_params is not None:
        signals["camera"] = observe_crops(
            world,
            truth,
            events,
            source,
            presence,
            plan.render_params,
            plan.camera_params,
            component_rng(seed, "sensor", "camera"),
            inter_event,
        )
    reaches = None
    if plan.camera_params is not None and cameras.tracks is not None:
        reaches = observe_reaches(world, truth, plan.camera_params, component_rng(seed, "sensor", "reaches"))
    gate = None
    if plan.gate_params is not None:
        signals["rfid_gate"], gate = simulate_gate(
            world,
            truth,
            plan.gate_params,
            plan.shopper_params.walking_speed_mps,
            component_rng(seed, "sensor", "rfid_gate"),
        )
    shelf = None
    if plan.shelf_params is not None:
        shelf_signal, shelf = simulate_shelf_readers(
            world,
            truth,
            plan.shelf_params,
            plan.presence_params,
            component_rng(seed, "sensor", "rfid_shelf"),
        )
        signals["rfid_shelf"] = cameras.shelf_reader_view(world, shelf_signal)
    observations = Observations(
        events=events,
        signals=signals,
        presence=presence,
        entry=replace(scans, visit_appearance=cameras.door_view),
        records=PurchaseRecords(counts=population.past_counts),
        reaches=reaches,
    )
    reviewer = HumanReviewer(
        *truth.event_truth(source, inter_event),
        plan.review_error,
        component_rng(seed, "review"),
        extras=truth.event_extras(source, inter_event),
    )
    return SensedDay(truth, observations, reviewer, source, inter_event, cameras, stream_truth, gate, shelf)


def run_systems(plan: Plan, day: SensedDay) -> dict[str, SystemOutput | BasketOutput]:
    """Every design on the day's observations (and the reviewer): nothing of the truth."""
    outputs: dict[str, SystemOutput | BasketOutput] = {}
    for system in plan.systems:
        log.info("running system %s on %d events", system.name, day.observations.events.n_events)
        system.prepare(plan.world, plan.seed)
        outputs[system.name] = system.run(plan.world, plan.space, day.observations, day.reviewer)
    return outputs


def score_day(
    plan: Plan, day: SensedDay, outputs: Mapping[str, SystemOutput | BasketOutput], overrides: Sequence[str]
) -> dict[str, Any]:
    """Judge every design's output against the truth; the metrics.json record."""
    world, truth, cameras, gate, shelf = plan.world, day.truth, day.cameras, day.gate, day.shelf
    events, signals, source = day.observations.events, day.observations.signals, day.source
    detection = (
        detection_metrics(events, signals["loadcell"], source, day.stream_truth)
        if day.stream_truth is not None
        else {}
    )
    results: dict[str, dict[str, float | None]] = {}
    empty_reaches: dict[bytes, Capture] = {}
    for system in plan.systems:
        output = outputs[system.name]
        captures = dict(cameras.captures) if "camera" in system.sensors else {}
        if "loadcell" in system.signals and "camera" in system.sensors:
            captures["empty_reach"] = _empty_reach_capture(plan, day, system.signals, empty_reaches)
        if isinstance(output, BasketOutput):
            results[system.name] = basket_metrics(output, truth, world)
            reviewed = 0
            if shelf is not None and "rfid_shelf" in system.signals and output.event_visit is not None:
                captures.update(
                    shelf_tag_capture(signals["rfid_shelf"].events, output.event_visit, shelf, truth)
                )
        else:
            results[system.name] = system_metrics(output, truth, source, day.inter_event, world)
            reviewed = int(output.reviewed.sum())
            captures.update(fusion_capture(output, truth, source, day.inter_event))
        results[system.name].update(yield_metrics(captures, truth))
        if "loadcell" in system.signals:
            results[system.name].update(detection)
        facts = store_facts(output.receipts, reviewed, truth, world)
        results[system.name].update(
            annual_cost(system.sensors, facts, plan.prices, _on_metal(plan, system.sensors))
        )
        if gate is not None and "rfid_gate" in system.signals:
            results[system.name].update(gate_metrics(gate, world.catalog, truth.n_visits, output.event_visit))
        if shelf is not None and "rfid_shelf" in system.signals:
            results[system.name].update(shelf_metrics(shelf))

    if "rfid_gate" in results:
        for name, metrics in results.items():
            if name != "rfid_gate":
                metrics["break_even_visits_vs_rfid_gate"] = break_even_visits(
                    metrics, results["rfid_gate"], plan.prices.days_per_year
                )
    presence = day.observations.presence
    crowded = (presence.candidate_visit >= 0).sum(axis=1) > 1
    return {
        "schema": SCHEMA_VERSION,
        "seed": plan.seed,
        "overrides": list(overrides),
        "scenario": {
            "n_skus": world.catalog.n_skus,
            "n_shelves": world.layout.n_shelves,
            "n_plates": world.planogram.n_plates,
            "floor_area_m2": world.layout.floor_area_m2,
            "n_visits": truth.n_visits,
            "n_interactions": int(truth.inter_kind.size),
            "n_putbacks": int((truth.inter_kind == PUTBACK).sum()),
            "n_empty_reaches": int((truth.inter_kind == EMPTY_REACH).sum()),
            "n_detected_events": int(events.n_events),
            "crowded_event_share": float(crowded.mean()) if crowded.size else 0.0,
            **cameras.metrics,
            **detection,
            "items_per_basket": float(truth.basket.sum(axis=1).mean()) if truth.n_visits else 0.0,
        },
        "systems": results,
    }


def _empty_reach_capture(
    plan: Plan, day: SensedDay, signals: frozenset[str], done: dict[bytes, Capture]
) -> Capture:
    """Reaches into empty slots as a design with these signals records them: a camera reach with no
    shelf event that design acts on (without mats, none a mat raised) is a hand that came back
    empty. Designs that act on the same events share the result."""
    events, reaches, cameras = day.observations.events, day.observations.reaches, day.cameras
    seen = events.seen_by(signals)
    key = seen.tobytes()
    if key not in done:
        if reaches is None or cameras.tracks is None:
            nothing = np.zeros(int((day.truth.inter_kind == EMPTY_REACH).sum()), bool)
            done[key] = Capture(nothing, nothing)
        else:
            acted_on = ShelfEvents(events.time_s[seen], events.shelf[seen], events.plate[seen])
            empty = find_empty_reaches(
                plan.world, cameras.tracks, reaches, acted_on, plan.behaviour, cameras.zone_depth_m
            )
            done[key] = empty_reach_capture(empty, day.truth, REACH_TOLERANCE_S)
    return done[key]


def _on_metal(plan: Plan, sensors: frozenset[str]) -> np.ndarray | None:
    """The materials a tagged design tags with on-metal tags (what its tags cost)."""
    if "rfid_gate" in sensors and plan.gate_params is not None:
        return plan.gate_params.tagging.on_metal
    if "rfid_shelf" in sensors and plan.shelf_params is not None:
        return plan.shelf_params.tagging.on_metal
    return None


def run_comparison(cfg: Mapping[str, Any], overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Validate the whole config first, then simulate, sense, decide and score; returns the
    metrics.json record."""
    plan = plan_comparison(cfg)
    day = sense_day(plan)
    return score_day(plan, day, run_systems(plan, day), overrides)


def _jsonable(value: Any, key: str = "") -> Any:
    """Plain JSON values; a NaN or infinite number becomes null with a warning naming its key (it
    would be invalid JSON, and an undefined metric must read as missing, not as a number)."""
    if isinstance(value, dict):
        return {k: _jsonable(v, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        log.warning("%s is %s: written as null", key, value)
        return None
    return value


def write_json_atomic(path: Path, record: Mapping[str, Any]) -> None:
    """Write JSON to a temporary file in the same directory, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(_jsonable(dict(record)), fh, indent=2, sort_keys=False, allow_nan=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
