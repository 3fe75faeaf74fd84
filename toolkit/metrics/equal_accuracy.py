"""Cost at equal accuracy: what each design pays to reach a target share of exact receipts.

Stores do not run at whatever accuracy a design happens to give: they buy accuracy with people.
Each design climbs the same ladder, cheapest means first, and stops at the target:

1. **Footage review** (designs that decide shelf events): more of the events the design did not
   send to review go to a reviewer, least confident first: the review threshold raised.
2. **Exit check** (every design, RFID included): staff check baskets against receipts at the
   exit, the visits the design doubts most first. A fusion design doubts a visit by its events'
   confidence; a design that decodes baskets by how many units its receipt has (every unit is a
   chance to miss one); ties fall in a random order.

What to review or check comes from the design's own output (confidences, receipts), never from
the truth; the answers come from the people (the reviewer, who may rubber-stamp; the checker,
who may slip), so the judge applies them here. Where even checking every basket falls short,
the design cannot reach the target, and says so. Each rung is priced (`costs.review`,
`costs.exit_check`) and the day's cost recomputed as it would be run.
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
class Reached:
    """Where a design stands on the ladder at a target: how many extra events it sent to review,
    how many baskets staff checked, the receipts that gives and their exact share."""

    extra_reviewed: int
    checked: int
    receipts: np.ndarray
    exact: float
    reachable: bool


def exact_share(receipts: np.ndarray, basket: np.ndarray) -> float:
    return float(np.all(receipts == basket, axis=1).mean()) if basket.shape[0] else 1.0


def first_reaching(target: float, exact_at: Callable[[int], float], most: int) -> int | None:
    """The smallest k in [0, most] whose exact share reaches `target`, by bisection (the share
    rises with k but for rare cancellations of two mistakes); None where even `most` falls short."""
    if exact_at(most) < target:
        return None
    low, high = -1, most  # exact_at(high) reaches the target; low is below it (or before the list)
    while high - low > 1:
        middle = (low + high) // 2
        if exact_at(middle) >= target:
            high = middle
        else:
            low = middle
    return high


def review_ladder(
    output: SystemOutput, reviewer: HumanReviewer, n_visits: int, n_skus: int
) -> tuple[Callable[[int], np.ndarray], np.ndarray]:
    """The review rung of a fusion design: receipts when its `k` least confident unreviewed
    visible events also go to review, and how many such events there are."""
    candidates = np.flatnonzero(output.visible & ~output.reviewed)
    order = candidates[np.argsort(output.confidence[candidates], kind="stable")]

    def receipts_at(k: int) -> np.ndarray:
        reviewed = output.reviewed.copy()
        reviewed[order[:k]] = True
        visit = output.attributed_visit
        return settle(output.map_sku, output.map_count, visit, reviewed, reviewer, n_visits, n_skus)[3]

    return receipts_at, order


def visit_doubt(
    output: SystemOutput | BasketOutput, reviewed: np.ndarray | None, receipts: np.ndarray
) -> tuple[np.ndarray, ...]:
    """How much a design doubts each visit's receipt, from its own output (higher: check first):
    the summed −log confidence of the events it decided alone, then its units."""
    units = receipts.sum(axis=1).astype(float)
    if isinstance(output, BasketOutput):
        return (units,)
    alone = output.visible & ~reviewed & (output.attributed_visit >= 0)
    surprise = np.zeros(receipts.shape[0])
    np.add.at(
        surprise,
        output.attributed_visit[alone],
        -np.log(np.clip(output.confidence[alone], 1e-12, 1.0)),
    )
    return (units, surprise)  # np.lexsort: last key first


def reach(
    target: float,
    output: SystemOutput | BasketOutput,
    basket: np.ndarray,
    reviewer: HumanReviewer,
    check_slips: np.ndarray,
    tie_break: np.ndarray,
) -> Reached:
    """Climb the ladder to `target`: review first (fusion designs), then exit checks."""
    n_visits, n_skus = basket.shape
    receipts = output.receipts
    reviewed = None
    extra = 0
    if isinstance(output, SystemOutput):
        receipts_at, order = review_ladder(output, reviewer, n_visits, n_skus)
        found = first_reaching(target, lambda k: exact_share(receipts_at(k), basket), order.size)
        extra = order.size if found is None else found
        receipts = receipts_at(extra)
        reviewed = output.reviewed.copy()
        reviewed[order[:extra]] = True
        if found is not None:
            return Reached(extra, 0, receipts, exact_share(receipts, basket), True)
    # exit checks, most doubted visit first: a check sets the receipt right unless the checker slips
    doubt = visit_doubt(output, reviewed, receipts)
    ranked = np.lexsort((tie_break, *(-d for d in doubt)))
    right = np.all(receipts == basket, axis=1)
    gained = np.cumsum((~right & ~check_slips)[ranked])
    exact = (right.sum() + np.r_[0, gained]) / max(n_visits, 1)
    reaching = np.flatnonzero(exact >= target)
    checked = int(reaching[0]) if reaching.size else n_visits
    fixed = ranked[:checked][~check_slips[ranked[:checked]]]
    final = receipts.copy()
    final[fixed] = basket[fixed]
    return Reached(extra, checked, final, exact_share(final, basket), bool(reaching.size))


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
    """Per target: whether the design reaches it, the share of its events reviewed and of visits
    checked, the exact share it ends at, and its cost per visit and per correct receipt there
    (None where it cannot reach the target). `facts_of` gives the day's facts for a set of
    receipts, `cost_of` the design's cost for such a day."""
    n_events = output.reviewed.size if isinstance(output, SystemOutput) else 0
    base_reviewed = int(output.reviewed.sum()) if isinstance(output, SystemOutput) else 0
    out: dict[str, float | None] = {}
    for target in targets:
        got = reach(target, output, basket, reviewer, check_slips, tie_break)
        at = replace(
            facts_of(got.receipts),
            reviewed_events_per_day=float(base_reviewed + got.extra_reviewed),
            exit_checks_per_day=float(got.checked),
        )
        cost = cost_of(at)
        prefix = target_prefix(target)
        out[f"{prefix}reachable"] = float(got.reachable)
        out[f"{prefix}reviewed_share"] = (base_reviewed + got.extra_reviewed) / n_events if n_events else None
        out[f"{prefix}checked_share"] = got.checked / basket.shape[0] if basket.shape[0] else None
        out[f"{prefix}receipt_exact"] = got.exact
        out[f"{prefix}cost_per_visit"] = cost["cost_per_visit"] if got.reachable else None
        out[f"{prefix}cost_per_correct_receipt"] = cost["cost_per_correct_receipt"] if got.reachable else None
    return out
