"""A comparison's pipeline: simulate the day, sense it, run every design on what was sensed.

The stages run in the order data flows (shoppers -> shelf events -> doors -> floor cameras ->
per-event signals); designs get the observations and the reviewer, never the truth.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from toolkit.behaviour import detect_dwells
from toolkit.comparison.plan import Plan
from toolkit.metrics.data_yield import Capture, camera_capture, dwell_false_share, track_capture
from toolkit.metrics.detection import link_events
from toolkit.metrics.tracking import track_error, tracking_metrics
from toolkit.review import HumanReviewer
from toolkit.seeding import component_rng
from toolkit.sensors.base import Sensed, SensingContext, check_sensed
from toolkit.sensors.camera import ShelfCameras
from toolkit.sensors.door import observe_doors
from toolkit.sensors.loadcell import measure_events
from toolkit.sensors.loadcell_stream import simulate_streams_and_detect
from toolkit.sensors.observations import (
    EntryScans,
    LoadcellReadings,
    Observations,
    Presence,
    PurchaseRecords,
    ShelfEvents,
    locked,
    read_only,
)
from toolkit.sensors.presence import observe_presence, observe_stops
from toolkit.sensors.pressure import PressureMats
from toolkit.sensors.walks import observe_walks
from toolkit.shoppers import GroundTruth, Population, population_and_day
from toolkit.systems import BasketOutput, SystemOutput, check_output
from toolkit.tracking import Tracks, presence_from_tracks, track_shoppers

log = logging.getLogger(__name__)


class StageClock:
    """Wall time (and items handled) of each named stage of a store-day, so `make bench` times
    the very pipeline `make run` runs. Results never depend on it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.items: dict[str, int] = {}
        self.expected: int | None = None

    def expect(self, stages: int) -> None:
        """How many stages the store-day will run (`stage_count`): a progress display counts to it."""
        self.expected = stages

    @contextmanager
    def __call__(self, name: str, items: int | None = None) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            if items is not None:
                self.items[name] = self.items.get(name, 0) + int(items)


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


@dataclass(frozen=True)
class ShelfDetections:
    """The store's own load-cell detector on the day's streams: the shelf events and their weight
    readings, and the judge's links between events and true interactions."""

    events: ShelfEvents
    readings: LoadcellReadings
    source: np.ndarray
    inter_event: np.ndarray
    stream_truth: Any


@dataclass(frozen=True)
class SensedDay:
    """One store-day as simulated and as sensed. Designs see `observations` and the reviewer only;
    the rest is the judge's: the truth, event-to-interaction links, what each sensor saw inside
    (`sensed`) and the context its models read."""

    truth: GroundTruth
    observations: Observations
    reviewer: HumanReviewer
    cameras: FloorCameras
    stream_truth: Any
    sensed: dict[str, Sensed]
    context: SensingContext

    @property
    def source(self) -> np.ndarray:
        """Per detected event, the interaction behind it (-1: nothing moved)."""
        return self.context.source

    @property
    def inter_event(self) -> np.ndarray:
        """Per interaction, the detected event it was merged into (-1: none)."""
        return self.context.inter_event


def simulate_shoppers(plan: Plan) -> tuple[Population, GroundTruth]:
    """Stage 1: the population with its purchase histories, and the day's visits."""
    return population_and_day(plan.world, plan.shopper_params, plan.seed, plan.store_seed)


def detect_events(plan: Plan, truth: GroundTruth) -> ShelfDetections:
    """Stage 2: the load cells and the store's detector (with the mats' own scan where a load
    cell is dead), then the judge's links from each event to the interactions behind it."""
    mats = plan.sensor_of_type(PressureMats)
    rng = component_rng(plan.seed, "sensor", "loadcell")
    if plan.loadcell.mode == "per_event":
        events, readings, source = measure_events(plan.world, truth, plan.loadcell, rng)
        inter_event = np.full(truth.inter_kind.size, -1)
        inter_event[source] = np.arange(source.size)
        return ShelfDetections(events, readings, source, inter_event, None)
    events, readings, stream_truth = simulate_streams_and_detect(
        plan.world, truth, plan.loadcell, rng, mats.params if mats is not None else None
    )
    tolerance = plan.loadcell.match_tolerance_s
    source, inter_event = link_events(events, stream_truth, truth.inter_kind.size, tolerance)
    return ShelfDetections(events, readings, source, inter_event, stream_truth)


def scan_doors(plan: Plan, truth: GroundTruth) -> EntryScans:
    """Stage 3: the entry and exit scans that open and close every visit."""
    return observe_doors(truth, plan.door_params, component_rng(plan.seed, "sensor", "door"))


def watch_floor(
    plan: Plan, truth: GroundTruth, shelf: ShelfDetections, scans: EntryScans, clock: StageClock
) -> FloorCameras:
    """Stage 4: tracks from simulated detections, born at the entry scans and ended by the exit
    gate (tracking mode), or in direct mode a noisy position of each shopper at the shelf and
    stops seen with probability p_stop_seen."""
    world, seed = plan.world, plan.seed
    if plan.tracker_params is None:
        rng = component_rng(seed, "sensor", "presence")
        presence = observe_presence(world, truth, shelf.events, shelf.source, plan.presence_params, rng)
        stops_seen = observe_stops(truth, plan.presence_params, component_rng(seed, "sensor", "camera_stops"))
        return FloorCameras(presence, None, {}, camera_capture(stops_seen, truth))
    with clock("floor cameras: paths and person detections", items=truth.n_visits):
        detections, door_view, walk = observe_walks(
            world, truth, plan.presence_params, component_rng(seed, "sensor", "floor_cameras")
        )
    scans = replace(scans, visit_appearance=door_view)
    zone = plan.tracker_params.zone_depth_m
    with clock("shopper tracking", items=detections.frame.size):
        tracks = track_shoppers(detections, scans, world.layout.entry_xy, plan.tracker_params)
    del detections  # the largest arrays of the day (88 B a detection): their memory serves what follows
    with clock("presence from tracks, dwells", items=shelf.events.n_events):
        presence = presence_from_tracks(world, tracks, shelf.events, zone)
        dwells = detect_dwells(world, tracks, zone, plan.behaviour.min_dwell_s)
    with clock("tracking metrics and captures (judge)", items=truth.n_visits):
        error = track_error(tracks, walk)
        metrics = {**tracking_metrics(walk, error), "dwell_false_share": dwell_false_share(dwells, truth)}
        captures = track_capture(walk, error, truth, dwells)
    return FloorCameras(presence, door_view, metrics, captures, tracks=tracks, zone_depth_m=zone)


def observe_sensors(plan: Plan, ctx: SensingContext, clock: StageClock) -> dict[str, Sensed]:
    """Stage 5: every configured sensor beyond the backbone, each with its own generator, its
    output checked (passively) against the protocol."""
    sensed: dict[str, Sensed] = {}
    with locked(ctx):  # what one sensor reads, no sensor may change for the next
        for name, sensor in plan.sensors.items():
            with clock(f"sensor {name}", items=ctx.events.n_events):
                sensed[name] = sensor.observe(ctx, component_rng(plan.seed, "sensor", name))
            check_sensed(name, sensor, sensed[name], ctx.events.n_events)
    return sensed


def stage_count(plan: Plan) -> int:
    """How many timed stages `sense_day` and `run_systems` run for this plan."""
    tracked = plan.tracker_params is not None
    reaches = tracked and plan.sensor_of_type(ShelfCameras) is not None
    return 3 + 4 * tracked + len(plan.sensors) + reaches + 2 * len(plan.systems)


def sense_day(plan: Plan, clock: StageClock | None = None) -> SensedDay:
    """Simulate the day's shoppers and every configured sensor's view of them (each stage timed
    on `clock` when one is given)."""
    clock = clock or StageClock()
    with clock("shoppers: population and visits"):
        population, truth = simulate_shoppers(plan)
    clock.items["shoppers: population and visits"] = truth.n_visits
    with clock("load cells: streams and event detection"):
        shelf = detect_events(plan, truth)
    clock.items["load cells: streams and event detection"] = shelf.events.n_events
    with clock("doors", items=truth.n_visits):
        scans = scan_doors(plan, truth)
    cameras = watch_floor(plan, truth, shelf, scans, clock)
    ctx = SensingContext(
        world=plan.world,
        truth=truth,
        shoppers=plan.shopper_params,
        events=shelf.events,
        source=shelf.source,
        inter_event=shelf.inter_event,
        presence=cameras.presence,
        presence_params=plan.presence_params,
        tracks=cameras.tracks,
        zone_depth_m=cameras.zone_depth_m,
    )
    sensed = observe_sensors(plan, ctx, clock)
    shelf_cameras = plan.sensor_of_type(ShelfCameras)
    reaches = None
    if shelf_cameras is not None and cameras.tracks is not None:
        with clock("shelf cameras: reaches", items=truth.inter_kind.size):
            reaches = shelf_cameras.reaches(ctx, component_rng(plan.seed, "sensor", "reaches"))
    observations = Observations(
        events=shelf.events,
        readings={"loadcell": shelf.readings, **{name: s.signal for name, s in sensed.items()}},
        presence=cameras.presence,
        entry=replace(scans, visit_appearance=cameras.door_view),
        records=PurchaseRecords(counts=population.past_counts),
        reaches=reaches,
    )
    reviewer = HumanReviewer(
        *truth.event_truth(shelf.source, shelf.inter_event),
        plan.review_error,
        component_rng(plan.seed, "review"),
        extras=truth.event_extras(shelf.source, shelf.inter_event),
    )
    return SensedDay(truth, observations, reviewer, cameras, shelf.stream_truth, sensed, ctx)


def view_for(obs: Observations, sensors: frozenset[str]) -> Observations:
    """What a design that pays for `sensors` may see: their signals; who stood where and the hands
    reaching only with cameras. Every design gets the door scans (every bill has the doors) and
    the store's own past receipts."""
    cameras = "camera" in sensors
    return replace(
        obs,
        readings={name: signal for name, signal in obs.readings.items() if name in sensors},
        presence=obs.presence if cameras else None,
        reaches=obs.reaches if cameras else None,
    )


def run_systems(
    plan: Plan, day: SensedDay, clock: StageClock | None = None
) -> dict[str, SystemOutput | BasketOutput]:
    """Every design on the day's observations (and the reviewer): nothing of the truth. Each
    output is checked (passively) against the design protocol."""
    clock = clock or StageClock()
    observed = day.observations
    read_only(observed)
    n_visits = observed.entry.visit_shopper.shape[0] if observed.entry is not None else day.truth.n_visits
    outputs: dict[str, SystemOutput | BasketOutput] = {}
    for system in plan.systems:
        obs = view_for(observed, system.sensors)
        log.info("running system %s on %d events", system.name, obs.events.n_events)
        with clock(f"design {system.name}: prepare"):
            system.prepare(plan.world, plan.seed)
        with clock(f"design {system.name}: run", items=obs.events.n_events):
            outputs[system.name] = system.run(plan.world, plan.space, obs, day.reviewer)
        check_output(
            system.name,
            system,
            outputs[system.name],
            obs.events.n_events,
            n_visits,
            plan.world.catalog.n_skus,
        )
    return outputs
