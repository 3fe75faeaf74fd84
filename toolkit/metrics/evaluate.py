"""Score one system's output against the ground truth of the day it ran on."""

from __future__ import annotations

import numpy as np

from toolkit.calibration import expected_calibration_error, reliability_bins
from toolkit.metrics.accuracy import (
    aurc,
    line_scores,
    lines_equal,
    receipt_exact_match,
    revenue_errors,
)
from toolkit.metrics.cost import StoreFacts
from toolkit.shoppers import EMPTY_REACH, GroundTruth
from toolkit.systems import BasketOutput, SystemOutput
from toolkit.world import MATERIALS, World

EVENT_METRICS = (
    "event_accuracy",
    "identification_accuracy",
    "machine_event_accuracy",
    "attribution_accuracy",
    "detection_recall",
    "review_rate",
    "fallback_rate",
    "ece",
    "aurc",
)


def receipt_metrics(receipts: np.ndarray, truth: GroundTruth, world: World) -> dict[str, float | None]:
    """Receipt-level accuracy: the same for every design, whatever it senses."""
    precision, recall, f1 = line_scores(receipts, truth.basket)
    return {
        "receipt_exact": receipt_exact_match(receipts, truth.basket),
        "line_precision": precision,
        "line_recall": recall,
        "line_f1": f1,
        **revenue_errors(receipts, truth.basket, world.catalog.price),
    }


def basket_metrics(output: BasketOutput, truth: GroundTruth, world: World) -> dict[str, float | None]:
    """A basket-level design has no shelf events: event metrics are null (not applicable)."""
    return {
        **receipt_metrics(output.receipts, truth, world),
        **dict.fromkeys(EVENT_METRICS),
        "n_visits": float(truth.n_visits),
        "n_events": 0.0,
    }


def system_metrics(
    output: SystemOutput,
    truth: GroundTruth,
    event_source: np.ndarray,
    inter_event: np.ndarray,
    world: World,
) -> dict[str, float]:
    """Every accuracy metric for one system; `event_source` links events to their main interaction,
    `inter_event` every interaction to the event it was merged into (an event stands for all of
    them: it is scored against their sum)."""
    true_sku, true_count, true_visit = truth.event_truth(event_source, inter_event)
    machine_right = lines_equal(output.map_sku, output.map_count, true_sku, true_count)
    seen = output.visible
    final_right = lines_equal(output.final_sku, output.final_count, true_sku, true_count)
    # a false event rightly called "nothing moved" belongs to nobody
    who_right = (output.final_visit == true_visit) | ((true_visit < 0) & final_right)
    n_events = int(event_source.size)
    n_moves = int((truth.inter_kind != EMPTY_REACH).sum())
    in_event = inter_event >= 0
    seen_event = np.zeros(inter_event.size, bool)
    seen_event[in_event] = output.visible[inter_event[in_event]]
    n_found = int((seen_event & (truth.inter_kind != EMPTY_REACH)).sum())

    def share(mask: np.ndarray) -> float:
        return float(mask.mean()) if mask.size else 0.0

    return {
        **receipt_metrics(output.receipts, truth, world),
        "event_accuracy": share(final_right & who_right),
        "identification_accuracy": share(final_right),
        "machine_event_accuracy": share(machine_right[seen]),
        "attribution_accuracy": share(who_right),
        "detection_recall": n_found / n_moves if n_moves else 1.0,
        "review_rate": share(output.reviewed),
        "fallback_rate": share(output.fallback),
        "ece": expected_calibration_error(output.confidence[seen], machine_right[seen]),
        "aurc": aurc(output.confidence[seen], machine_right[seen]),
        "n_visits": float(truth.n_visits),
        "n_events": float(n_events),
        **dict(
            zip(
                ("reliability_count", "reliability_confidence_sum", "reliability_correct"),
                (b.tolist() for b in reliability_bins(output.confidence[seen], machine_right[seen])),
                strict=True,
            )
        ),
    }


def store_facts(receipts: np.ndarray, reviewed_events: int, truth: GroundTruth, world: World) -> StoreFacts:
    """One simulated day of a design, in the units the cost model prices."""
    price = world.catalog.price[None, :]
    diff = receipts - truth.basket
    return StoreFacts(
        floor_area_m2=world.layout.floor_area_m2,
        n_plates=world.planogram.n_plates,
        shelf_metres=world.planogram.n_plates * world.planogram.plate_width_m,
        visits_per_day=float(truth.n_visits),
        items_sold_per_day=float(truth.basket.sum()),
        sold_by_material_per_day=np.bincount(
            world.catalog.material, weights=truth.basket.sum(axis=0), minlength=len(MATERIALS)
        ),
        stocked_by_material=np.bincount(
            world.catalog.material[world.planogram.slot_sku],
            weights=world.planogram.slot_stock,
            minlength=len(MATERIALS),
        ),
        reviewed_events_per_day=float(reviewed_events),
        undercharged_revenue_per_day=float((np.maximum(-diff, 0) * price).sum()),
        overcharged_receipts_per_day=float((diff > 0).any(axis=1).sum()),
        correct_receipts_per_day=float(np.all(diff == 0, axis=1).sum()),
    )
