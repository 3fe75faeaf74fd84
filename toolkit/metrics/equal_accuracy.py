"""Cost at equal accuracy: what each design pays to reach a target share of exact receipts.

Stores do not run at whatever accuracy a design happens to give: they buy accuracy with people.
Every design has the same two means, and uses the cheapest mix of them that reaches the target:

1. **Footage review** (designs that decide shelf events): more of the events the design did not
   send to review go to a reviewer, least confident first (the review threshold raised), in
   steps of a tenth of those events.
2. **Exit check** (every design, RFID included): staff check baskets against receipts at the
   exit, the visits the design doubts most first, as many as the target needs. A fusion design
   doubts a visit by its unreviewed events' confidence; a design that decodes baskets by how many
   units its receipt has (every unit is a chance to miss one); ties fall in a random order.

For each review step the checks the target needs follow, and the day is costed as it would be
run (review and checks priced by `costs.review` and `costs.exit_check`, the mistakes left by
what they cost); the cheapest reaching mix is the design's cost at the target. What to review or
check comes from the design's own output (confidences, receipts), never from the truth; the
answers come from the people (the reviewer, who may rubber-stamp; the checker, who may slip), so
the judge applies them here. Where even reviewing everything and checking every basket falls
short, the design cannot reach the target, and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from pydantic import Field, field_validator

from toolkit.config import Probability, Settings
from toolkit.metrics.cost import StoreFacts
from toolkit.review import HumanReviewer
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
class ReviewStep:
    """One step of the review rung: the events reviewed beyond the design's own choice, the
    review mask and the receipts that gives."""

    extra: int
    reviewed: np.ndarray | None
    receipts: np.ndarray


@dataclass(frozen=True)
class Reached:
    """A mix of the two means at a target: extra events reviewed, baskets checked, the receipts
    that gives, their exact share, and whether it reaches the target."""

    extra_reviewed: int
    checked: int
    receipts: np.ndarray
    exact: float
    reachable: bool


def exact_share(receipts: np.ndarray, basket: np.ndarray) -> float:
    return float(np.all(receipts == basket, axis=1).mean()) if basket.shape[0] else 1.0


def review_steps(
    output: SystemOutput | BasketOutput, reviewer: HumanReviewer, basket: np.ndarray
) -> list[ReviewStep]:
    """The review rung: the design's own receipts, then its least confident unreviewed visible
    events added to review a tenth at a time (a design that decodes baskets has no events)."""
    if isinstance(output, BasketOutput):
        return [ReviewStep(0, None, output.receipts)]
    candidates = np.flatnonzero(output.visible & ~output.reviewed)
    order = candidates[np.argsort(output.confidence[candidates], kind="stable")]
    steps = []
    for extra in sorted({round(order.size * i / REVIEW_STEPS) for i in range(REVIEW_STEPS + 1)}):
        reviewed = output.reviewed.copy()
        reviewed[order[:extra]] = True
        receipts = (
            output.receipts
            if extra == 0
            else settle(
                output.map_sku, output.map_count, output.attributed_visit, reviewed, reviewer, *basket.shape
            )[3]
        )
        steps.append(ReviewStep(extra, reviewed, receipts))
    return steps


def visit_doubt(output: SystemOutput | BasketOutput, step: ReviewStep) -> tuple[np.ndarray, ...]:
    """How much a design doubts each visit's receipt, from its own output (higher: check first),
    as keys for np.lexsort (last first): the summed −log confidence of the events it decided
    alone, then the units on the receipt."""
    units = step.receipts.sum(axis=1).astype(float)
    if isinstance(output, BasketOutput):
        return (units,)
    alone = output.visible & ~step.reviewed & (output.attributed_visit >= 0)
    surprise = np.zeros(step.receipts.shape[0])
    np.add.at(
        surprise,
        output.attributed_visit[alone],
        -np.log(np.clip(output.confidence[alone], 1e-12, 1.0)),
    )
    return (units, surprise)


def exit_checks(
    target: float,
    output: SystemOutput | BasketOutput,
    step: ReviewStep,
    basket: np.ndarray,
    check_slips: np.ndarray,
    tie_break: np.ndarray,
) -> Reached:
    """The fewest exit checks, most doubted visit first, that take a review step to `target`
    (every basket where none does): a check sets the receipt right unless the checker slips."""
    n_visits = basket.shape[0]
    ranked = np.lexsort((tie_break, *(-d for d in visit_doubt(output, step))))
    right = np.all(step.receipts == basket, axis=1)
    gained = np.cumsum((~right & ~check_slips)[ranked])
    exact = (right.sum() + np.r_[0, gained]) / max(n_visits, 1)
    reaching = np.flatnonzero(exact >= target)
    checked = int(reaching[0]) if reaching.size else n_visits
    fixed = ranked[:checked][~check_slips[ranked[:checked]]]
    final = step.receipts.copy()
    final[fixed] = basket[fixed]
    return Reached(step.extra, checked, final, exact_share(final, basket), bool(reaching.size))


def equal_accuracy_metrics(
    targets: Sequence[float],
    output: SystemOutput | BasketOutput,
    basket: np.ndarray,
    reviewer: HumanReviewer,
    check_slips: np.ndarray,
    tie_break: np.ndarray,
    facts_of: Callable[[np.ndarray], StoreFacts],
    cost_of: Callable[[StoreFacts], dict[str, float]],
) -> dict[str, float | None]:
    """Per target, the cheapest mix of review and exit checks that reaches it: whether any does,
    the share of the design's events reviewed and of visits checked, the exact share it ends at,
    and its cost per visit and per correct receipt there (None where it cannot reach the target).
    `facts_of` gives the day's facts for a set of receipts, `cost_of` the design's cost for them."""
    n_events = output.reviewed.size if isinstance(output, SystemOutput) else 0
    base_reviewed = int(output.reviewed.sum()) if isinstance(output, SystemOutput) else 0
    steps = review_steps(output, reviewer, basket)
    out: dict[str, float | None] = {}
    for target in targets:
        best: tuple[Reached, dict[str, float]] | None = None
        for step in steps:
            got = exit_checks(target, output, step, basket, check_slips, tie_break)
            at = replace(
                facts_of(got.receipts),
                reviewed_events_per_day=float(base_reviewed + got.extra_reviewed),
                exit_checks_per_day=float(got.checked),
            )
            cost = cost_of(at)
            mine = (not got.reachable, cost["cost_annual"], got.extra_reviewed)
            if best is None or mine < (not best[0].reachable, best[1]["cost_annual"], best[0].extra_reviewed):
                best = (got, cost)
        got, cost = best
        prefix = target_prefix(target)
        out[f"{prefix}reachable"] = float(got.reachable)
        out[f"{prefix}reviewed_share"] = (base_reviewed + got.extra_reviewed) / n_events if n_events else None
        out[f"{prefix}checked_share"] = got.checked / basket.shape[0] if basket.shape[0] else None
        out[f"{prefix}receipt_exact"] = got.exact
        out[f"{prefix}cost_per_visit"] = cost["cost_per_visit"] if got.reachable else None
        out[f"{prefix}cost_per_correct_receipt"] = cost["cost_per_correct_receipt"] if got.reachable else None
    return out
