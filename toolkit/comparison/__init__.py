"""One comparison end to end: plan (check the config, build the store), pipeline (simulate,
sense, run the designs) and scoring (the judge). Kept out of experiments/ so notebooks, tests
and benchmarks call the same code as the command line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from toolkit.comparison.pipeline import SensedDay, StageClock, run_systems, sense_day, stage_count
from toolkit.comparison.plan import Plan, plan_comparison
from toolkit.comparison.scoring import score_day

__all__ = [
    "Plan",
    "SensedDay",
    "StageClock",
    "plan_comparison",
    "run_comparison",
    "run_systems",
    "score_day",
    "sense_day",
    "stage_count",
]


def run_comparison(
    cfg: Mapping[str, Any], overrides: Sequence[str] = (), clock: StageClock | None = None
) -> dict[str, Any]:
    """Validate the whole config first, then simulate, sense, decide and score (each stage timed
    on `clock`, told first how many there will be); returns the metrics.json record."""
    plan = plan_comparison(cfg)
    clock = clock or StageClock()
    clock.expect(stage_count(plan))
    day = sense_day(plan, clock)
    return score_day(plan, day, run_systems(plan, day, clock), overrides)
