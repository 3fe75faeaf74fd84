"""Cost at equal accuracy: what each design pays to reach a target share of exact receipts.

Stores do not run at whatever accuracy a design happens to give: they buy accuracy with people.
Every design has the same two means:

1. **Footage review** (designs that decide shelf events): more of the events the design did not
   send to review go to a reviewer, least sure first (of the lines and of the shopper, as its own
   review rule weighs them), in steps of a tenth of those events.
2. **Exit check** (every design, RFID included): staff check a share of baskets against their
   receipts at the exit, the visits the design doubts most first: a fusion design by how sure
   it was of its unreviewed events (lines and shopper), a decoder by its own signal where it has
   one (the gate: reads that could have been another pass's; the smart shelves: the cameras'
   attribution), then every design by how many units the receipt has (each is a chance to miss
   one), ties in a random order.

A store sets its policy (review step, share of baskets checked) on days it has audited and runs
it on the next. So does the judge, on one day: the visits are split into two folds (alternate
eighths of the day), the cheapest policy that reaches the target on one fold (review and checks priced by
`costs.review` and `costs.exit_check`, the mistakes left by what they cost) is run on the other,
and the day's cost and exact share are what the two policies achieved: the exact share may fall
a little short of the target, or pass it. A design with no policy reaching the target on a fold,
even reviewing everything and checking every basket, cannot reach it. What to review or check
comes from the design's own output, never from the truth; the answers come from the people (the
reviewer, who may rubber-stamp; the checker, who may slip), so the judge applies them here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from pydantic import Field, field_validator

from toolkit.carts import cart_sums
from toolkit.config import Probability, Settings
from toolkit.hypotheses import canonical_lines
from toolkit.metrics.accuracy import receipt_exact_match
from toolkit.metrics.cost import StoreFacts
from toolkit.review import HumanReviewer
from toolkit.shared import once_per
from toolkit.systems import BasketOutput, SystemOutput
from toolkit.systems.fusion import settle

REVIEW_STEPS = 10  # the review rung in tenths of the events the design decided alone


class EqualAccuracySettings(Settings):
    """The `equal_accuracy` section: the targets, and how often an exit check misses a mistake."""

    config_path: ClassVar[str] = "equal_accuracy"

    targets: list[Probability] = Field(min_length=1)
    check_error_rate: Probability

    @field_validator("targets")
    @classmethod
    def _inside(cls, targets: list[float]) -> list[float]:
        if any(not 0.0 < t < 1.0 for t in targets) or len(set(targets)) != len(targets):
            raise ValueError(f"distinct shares strictly between 0 and 1, got {targets}")
        return targets


def target_prefix(target: float) -> str:
    """The metric keys' prefix for a target: 0.95 -> 'at95_', 0.995 -> 'at99_5_'."""
    return "at" + f"{100 * target:g}".replace(".", "_") + "_"


@dataclass(frozen=True)
class Policy:
    """What a store runs: a review step and the share of baskets checked; whether it reached the
    target on the visits it was set on."""

    step: int
    check_share: float
    reaches: bool


@dataclass(frozen=True)
class Prices:
    """What each means and each mistake costs: per reviewed event, per checked basket, per unit
    of each SKU left off a receipt (its price), per over-charged receipt."""

    review: float
    check: float
    sku: np.ndarray
    overcharge: float


def event_sureness(output: SystemOutput) -> np.ndarray:
    """How sure a fusion design is of each event: of its lines, and of whose they are."""
    return output.confidence * output.attribution_confidence


def review_steps(output: SystemOutput | BasketOutput) -> list[np.ndarray | None]:
    """The review rung, as review masks: the design's own, then its least sure unreviewed visible
    events added a tenth at a time (a design that decodes baskets has no events: [None])."""
    if isinstance(output, BasketOutput):
        return [None]
    candidates = np.flatnonzero(output.visible & ~output.reviewed)
    order = candidates[np.argsort(event_sureness(output)[candidates], kind="stable")]
    steps = []
    for extra in sorted({round(order.size * i / REVIEW_STEPS) for i in range(REVIEW_STEPS + 1)}):
        reviewed = output.reviewed.copy()
        reviewed[order[:extra]] = True
        steps.append(reviewed)
    return steps


def settled(
    output: SystemOutput | BasketOutput, reviewed: np.ndarray | None, reviewer: HumanReviewer
) -> np.ndarray:
    """The design's receipts with the reviewer's answers for `reviewed`. Receipts are integer
    carts floored at zero, and a step reviews the events the design sent and more: the carts
    before the floor change only by the lines of the events added, so only those are asked and
    re-added (a day's every event settled again each step took most of the scoring). A
    reviewer's answer for an event is fixed (`HumanReviewer` draws its slips up front), so the
    design's own reviews are asked once per design and reviewer."""
    if reviewed is None or np.array_equal(reviewed, output.reviewed):
        return output.receipts
    if (output.reviewed & ~reviewed).any():  # fewer reviews than the design's own: settle anew
        visit = output.attributed_visit
        return settle(output.map_sku, output.map_count, visit, reviewed, reviewer, *output.receipts.shape)[3]
    own = once_per(
        (output, reviewer),
        "carts before the floor",
        lambda: _machine_carts(output) + _review_change(output, np.flatnonzero(output.reviewed), reviewer),
    )
    added = np.flatnonzero(reviewed & ~output.reviewed)
    return np.maximum(own + _review_change(output, added, reviewer), 0)


def _machine_carts(output: SystemOutput) -> np.ndarray:
    """Net units before the floor of the design's own decisions, none reviewed."""
    sku, count = canonical_lines(output.map_sku, output.map_count)
    return cart_sums(sku, count, output.attributed_visit, *output.receipts.shape)


def _review_change(output: SystemOutput, events: np.ndarray, reviewer: HumanReviewer) -> np.ndarray:
    """What reviewing `events` adds to the carts before the floor: the reviewer's lines (and what
    review found beyond them) in place of the design's, as `settle` puts them."""
    if events.size == 0:
        return np.zeros(output.receipts.shape, dtype=np.int64)
    map_sku, map_count = output.map_sku[events], output.map_count[events]
    visit = output.attributed_visit[events]
    own_sku, own_count = canonical_lines(map_sku, map_count)
    sku, count, told_visit = reviewer.review(events, map_sku, map_count, visit)
    sku, count = canonical_lines(sku, count)
    extra_visit, extra_sku, extra_count = reviewer.extras(events)
    padding = np.full(extra_sku.size, -1)
    lines_sku = np.r_[sku, own_sku, np.c_[extra_sku, padding]]
    lines_count = np.r_[count, -own_count, np.c_[extra_count, np.zeros_like(padding)]]
    lines_visit = np.r_[told_visit, visit, extra_visit]
    return cart_sums(lines_sku, lines_count, lines_visit, *output.receipts.shape)


def check_order(
    output: SystemOutput | BasketOutput,
    reviewed: np.ndarray | None,
    receipts: np.ndarray,
    tie_break: np.ndarray,
) -> np.ndarray:
    """Every visit, most doubted first, from the design's own output: a fusion design's summed
    −log sureness (lines and shopper) of the events it decided alone, or a decoder's own doubt;
    then the units on the receipt; then `tie_break`."""
    keys = [tie_break, -receipts.sum(axis=1)]
    if isinstance(output, BasketOutput):
        if output.visit_doubt is not None:
            keys.append(-np.asarray(output.visit_doubt, float))
    else:
        alone = output.visible & ~reviewed & (output.attributed_visit >= 0)
        surprise = np.zeros(receipts.shape[0])
        np.add.at(
            surprise,
            output.attributed_visit[alone],
            -np.log(np.clip(event_sureness(output)[alone], 1e-12, 1.0)),
        )
        keys.append(-surprise)
    return np.lexsort(keys)


def mistake_cost(receipts: np.ndarray, basket: np.ndarray, prices: Prices) -> np.ndarray:
    """Per visit, what its receipt's mistakes cost the store: revenue not charged, and the
    handling of an over-charge."""
    short = np.maximum(basket - receipts, 0) @ prices.sku
    return short + prices.overcharge * np.any(receipts > basket, axis=1)


FOLD_BLOCKS = 8  # the day cut into this many runs of consecutive visits, alternately in each fold


def day_folds(n_visits: int) -> np.ndarray:
    """Each visit's fold: the day's visits (numbered as they arrive) in eight consecutive blocks,
    alternately in fold 0 and 1, so shoppers at the shelves together mostly share a fold, as the
    days a store audits are apart from the day it runs its policy on."""
    block = max(1, -(-n_visits // FOLD_BLOCKS))
    return (np.arange(n_visits) // block) % 2


def _event_fold(output: SystemOutput | BasketOutput, fold: np.ndarray) -> np.ndarray | None:
    """The fold of each event: its visit's (an event put down to nobody: by its index)."""
    if isinstance(output, BasketOutput):
        return None
    visit = output.attributed_visit
    by_index = np.arange(visit.size) % 2
    if fold.size == 0:
        return by_index
    return np.where(visit >= 0, fold[np.maximum(visit, 0)], by_index)


@dataclass(frozen=True)
class Curve:
    """One review step on one fold, for 0, 1, ... n checks of its most doubted visits: the exact
    share and the cost (reviews, checks, and the mistakes left). A target only reads it."""

    exact: np.ndarray
    cost: np.ndarray


def fold_curves(
    mine: np.ndarray,
    output: SystemOutput | BasketOutput,
    steps: Sequence[np.ndarray | None],
    reviewer: HumanReviewer,
    basket: np.ndarray,
    check_slips: np.ndarray,
    tie_break: np.ndarray,
    prices: Prices,
    event_mine: np.ndarray | None,
) -> list[Curve]:
    """The curve of every review step on the visits `mine` (a store's audited days), with only
    these visits' events reviewed: the other fold's answers must not settle these receipts. No
    curves where there are no visits to set a policy on."""
    n = int(mine.sum())
    curves = []
    for step in steps if n else ():
        reviewed = None if step is None else output.reviewed | (step & event_mine)
        receipts = settled(output, reviewed, reviewer)
        ranked = check_order(output, reviewed, receipts, tie_break)
        ranked = ranked[mine[ranked]]
        right = np.all(receipts[ranked] == basket[ranked], axis=1)
        fixed = ~right & ~check_slips[ranked]
        left = mistake_cost(receipts[ranked], basket[ranked], prices)
        reviews = 0 if reviewed is None else int((reviewed & ~output.reviewed).sum())
        cost = (
            reviews * prices.review
            + prices.check * np.arange(n + 1)
            + left.sum()
            - np.r_[0.0, np.cumsum(np.where(fixed, left, 0.0))]
        )
        curves.append(Curve((right.sum() + np.r_[0, np.cumsum(fixed)]) / n, cost))
    return curves


def calibrate(target: float, curves: Sequence[Curve], n_steps: int) -> Policy:
    """The cheapest policy reaching `target` on a fold: per review step, the fewest checks that
    get there and their cost. None reaching it, or no curves: review everything, check all, and
    say the target is out of reach."""
    best: tuple[float, Policy] | None = None
    for index, curve in enumerate(curves):
        cost = np.where(curve.exact >= target, curve.cost, np.inf)
        checks = int(np.argmin(cost))
        if np.isfinite(cost[checks]) and (best is None or cost[checks] < best[0]):
            best = (float(cost[checks]), Policy(index, checks / (cost.size - 1), True))
    return best[1] if best else Policy(n_steps - 1, 1.0, False)


def run_policies(
    policies: Sequence[Policy],
    fold: np.ndarray,
    output: SystemOutput | BasketOutput,
    steps: Sequence[np.ndarray | None],
    basket: np.ndarray,
    reviewer: HumanReviewer,
    check_slips: np.ndarray,
    tie_break: np.ndarray,
    event_fold: np.ndarray | None,
) -> tuple[np.ndarray, int, int]:
    """Each fold's visits under its policy: the receipts after review and checks, the events
    reviewed beyond the design's own choice, and the baskets checked."""
    if isinstance(output, BasketOutput):
        receipts, reviewed, extra = output.receipts, None, 0
    else:
        reviewed = np.where(event_fold == 0, steps[policies[0].step], steps[policies[1].step])
        receipts = settled(output, reviewed, reviewer)
        extra = int((reviewed & ~output.reviewed).sum())
    ranked = check_order(output, reviewed, receipts, tie_break)
    final, checked = receipts.copy(), 0
    for index, policy in enumerate(policies):
        mine = ranked[fold[ranked] == index]
        count = round(policy.check_share * mine.size)
        fixed = mine[:count][~check_slips[mine[:count]]]
        final[fixed] = basket[fixed]
        checked += count
    return final, extra, checked


def equal_accuracy_metrics(
    targets: Sequence[float],
    output: SystemOutput | BasketOutput,
    basket: np.ndarray,
    reviewer: HumanReviewer,
    check_slips: np.ndarray,
    tie_break: np.ndarray,
    prices: Prices,
    facts_of: Callable[[np.ndarray], StoreFacts],
    cost_of: Callable[[StoreFacts], dict[str, float]],
) -> dict[str, float | None]:
    """Per target, each fold's visits run under the policy set on the other fold: whether both
    folds found a policy reaching it (`reachable`), the share of the design's events reviewed
    and of visits checked, the exact share achieved and whether it met the target, and the cost
    per visit and per correct receipt (None where the target cannot be reached). `facts_of` gives
    the day's facts for a set of receipts, `cost_of` the design's cost for them."""
    n_visits = basket.shape[0]
    n_events = output.reviewed.size if isinstance(output, SystemOutput) else 0
    base_reviewed = int(output.reviewed.sum()) if isinstance(output, SystemOutput) else 0
    fold = day_folds(n_visits)
    event_fold = _event_fold(output, fold)
    steps = review_steps(output)
    curves = [  # fold 0 runs the policy set on fold 1, and the other way round
        fold_curves(
            fold == other,
            output,
            steps,
            reviewer,
            basket,
            check_slips,
            tie_break,
            prices,
            None if event_fold is None else event_fold == other,
        )
        for other in (1, 0)
    ]
    out: dict[str, float | None] = {}
    for target in targets:
        policies = [calibrate(target, fold_of, len(steps)) for fold_of in curves]
        final, extra, checked = run_policies(
            policies, fold, output, steps, basket, reviewer, check_slips, tie_break, event_fold
        )
        cost = cost_of(
            replace(
                facts_of(final),
                reviewed_events_per_day=float(base_reviewed + extra),
                exit_checks_per_day=float(checked),
            )
        )
        reachable = all(p.reaches for p in policies)
        exact = receipt_exact_match(final, basket)
        prefix = target_prefix(target)
        out[f"{prefix}reachable"] = float(reachable)
        out[f"{prefix}met"] = float(exact >= target)
        out[f"{prefix}reviewed_share"] = (base_reviewed + extra) / n_events if n_events else None
        out[f"{prefix}checked_share"] = checked / n_visits if n_visits else None
        out[f"{prefix}receipt_exact"] = exact
        out[f"{prefix}cost_per_visit"] = cost["cost_per_visit"] if reachable else None
        out[f"{prefix}cost_per_correct_receipt"] = cost["cost_per_correct_receipt"] if reachable else None
    return out
