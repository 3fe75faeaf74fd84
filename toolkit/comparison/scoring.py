"""A comparison's scoring: the judge, the one place where designs' outputs meet the truth.

Each design is scored by what its output is (per-event decisions or baskets) and by the sensors
it uses; the record it returns is what metrics.json holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from toolkit.behaviour import find_empty_reaches
from toolkit.comparison.pipeline import SensedDay
from toolkit.comparison.plan import Plan
from toolkit.metrics.cost import annual_cost, break_even_visits
from toolkit.metrics.data_yield import (
    Capture,
    empty_reach_capture,
    fusion_capture,
    yield_metrics,
)
from toolkit.metrics.detection import detection_metrics
from toolkit.metrics.equal_accuracy import Prices, equal_accuracy_metrics
from toolkit.metrics.evaluate import basket_metrics, store_facts, system_metrics
from toolkit.seeding import component_rng
from toolkit.sensors.base import add_own
from toolkit.sensors.observations import ShelfEvents
from toolkit.shoppers import EMPTY_REACH, PUTBACK
from toolkit.systems import BasketOutput, SystemOutput

SCHEMA_VERSION = 1
REACH_TOLERANCE_S = 2.0  # judge: a flagged empty reach this close to a true one on its plate is it


def score_day(
    plan: Plan, day: SensedDay, outputs: Mapping[str, SystemOutput | BasketOutput], overrides: Sequence[str]
) -> dict[str, Any]:
    """Judge every design's output against the truth; the metrics.json record."""
    world, truth, cameras = plan.world, day.truth, day.cameras
    events, readings, source = day.observations.events, day.observations.readings, day.source
    detection = (
        detection_metrics(events, readings["loadcell"], source, day.stream_truth)
        if day.stream_truth is not None
        else {}
    )
    results: dict[str, dict[str, float | None]] = {}
    # the exit checkers' slips and the order of equally doubted visits: one draw for every design
    rng = component_rng(plan.seed, "exit_check")
    check_slips = rng.random(truth.n_visits) < plan.equal_accuracy.check_error_rate
    tie_break = rng.permutation(truth.n_visits)
    means = Prices(
        review=plan.prices.review_cost_per_event,
        check=plan.prices.exit_check_cost,
        sku=world.catalog.price,
        overcharge=plan.prices.receipt_errors.overcharge_handling_per_receipt,
    )
    empty_reaches: dict[bytes, Capture] = {}
    for system in plan.systems:
        output = outputs[system.name]
        used = {name: sensor for name, sensor in plan.sensors.items() if name in system.signals}
        captures = dict(cameras.captures) if "camera" in system.sensors else {}
        if "loadcell" in system.signals and "camera" in system.sensors:
            captures["empty_reach"] = _empty_reach_capture(plan, day, system.signals, empty_reaches)
        if isinstance(output, BasketOutput):
            results[system.name] = basket_metrics(output, truth, world)
            reviewed = 0
        else:
            results[system.name] = system_metrics(output, truth, source, day.inter_event, world)
            reviewed = int(output.reviewed.sum())
            captures.update(fusion_capture(output, truth, source, day.inter_event))
        for name, sensor in used.items():
            add_own(captures, sensor.captures(day.sensed[name], day.context, output), f"sensor.{name}")
        results[system.name].update(yield_metrics(captures, truth))
        if "loadcell" in system.signals:
            results[system.name].update(detection)
        facts = store_facts(output.receipts, reviewed, truth, world)
        results[system.name].update(annual_cost(system.sensors, facts, plan.prices, plan.sensors))
        results[system.name].update(
            equal_accuracy_metrics(
                plan.equal_accuracy.targets,
                output,
                truth.basket,
                day.reviewer,
                check_slips,
                tie_break,
                means,
                facts_of=lambda receipts, reviewed=reviewed: store_facts(receipts, reviewed, truth, world),
                cost_of=lambda at, paid=system.sensors: annual_cost(paid, at, plan.prices, plan.sensors),
            )
        )
        for name, sensor in used.items():
            add_own(
                results[system.name], sensor.metrics(day.sensed[name], day.context, output), f"sensor.{name}"
            )

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
        "store_seed": plan.store_seed,
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
        "systems": {plan.shown_names[name]: metrics for name, metrics in results.items()},
        "uncertain": plan.uncertain,
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
