"""Cost at equal accuracy: the ladder (review, then exit checks) reaches a target from what the
design itself doubts, the people's answers come from the truth, and every rung is priced."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import compose_config
from toolkit.comparison.pipeline import run_systems, sense_day
from toolkit.comparison.plan import plan_comparison
from toolkit.comparison.scoring import score_day
from toolkit.config import ConfigError
from toolkit.metrics.cost import annual_cost
from toolkit.metrics.equal_accuracy import (
    EqualAccuracySettings,
    exact_share,
    exit_checks,
    review_steps,
    target_prefix,
)
from toolkit.metrics.evaluate import store_facts
from toolkit.seeding import component_rng
from toolkit.systems import BasketOutput, SystemOutput


@pytest.fixture(scope="module")
def tiny_day():
    plan = plan_comparison(compose_config(["debug=tiny", "system=[vision_fusion,weight_only,rfid_gate]"]))
    day = sense_day(plan)
    return plan, day, run_systems(plan, day)


def test_targets_are_shares_between_zero_and_one_and_name_their_keys():
    assert target_prefix(0.95) == "at95_" and target_prefix(0.995) == "at99_5_"
    with pytest.raises(ConfigError, match=r"equal_accuracy\.targets"):
        EqualAccuracySettings.from_config({"targets": [0.95, 1.0], "check_error_rate": 0.0})


def test_baskets_with_most_units_are_checked_first_and_a_slip_leaves_the_receipt_wrong():
    basket = np.array([[1, 0], [3, 2], [0, 1], [2, 2]])
    receipts = np.array([[1, 0], [3, 1], [0, 1], [2, 1]])  # the two biggest baskets lost a unit
    output = BasketOutput(receipts)
    (step,) = review_steps(output, None, basket)
    none = np.zeros(4, bool)
    got = exit_checks(1.0 - 1e-9, output, step, basket, none, np.arange(4))
    assert (got.checked, got.reachable, got.exact) == (2, True, 1.0)  # not the small right ones
    slips = np.array([False, True, False, False])
    slipped = exit_checks(1.0 - 1e-9, output, step, basket, slips, np.arange(4))
    assert not slipped.reachable and slipped.exact == 0.75 and slipped.checked == 4


def test_the_review_rung_starts_at_the_designs_receipts_and_reviewing_all_raises_accuracy(tiny_day):
    _plan, day, outputs = tiny_day
    basket = day.truth.basket
    output = outputs["vision_fusion"]
    assert isinstance(output, SystemOutput)
    steps = review_steps(output, day.reviewer, basket)
    assert len(steps) == 11 and steps[0].extra == 0 and np.array_equal(steps[0].receipts, output.receipts)
    alone = output.visible & ~output.reviewed
    assert steps[-1].extra == alone.sum() and steps[-1].reviewed[output.visible].all()
    # least confident first: each step adds events no more confident than any it left out
    for before, after in itertools.pairwise(steps):
        added = after.reviewed & ~before.reviewed
        left = alone & ~after.reviewed
        assert not left.any() or output.confidence[added].max() <= output.confidence[left].min()
    assert exact_share(steps[-1].receipts, basket) > exact_share(steps[0].receipts, basket)


def test_the_cheapest_mix_is_chosen_and_none_cheaper_reaches_the_target(tiny_day):
    """Every mix of a review step and the checks it needs, costed by hand: the design's reported
    cost at the target is the lowest of those that reach it."""
    plan, day, outputs = tiny_day
    output, truth = outputs["weight_only"], day.truth
    record = score_day(plan, day, outputs, [])["systems"]["weight_only"]
    rng = component_rng(plan.seed, "exit_check")
    slips = rng.random(truth.n_visits) < plan.equal_accuracy.check_error_rate
    ties = rng.permutation(truth.n_visits)
    system = next(s for s in plan.systems if s.name == "weight_only")
    costs = []
    for step in review_steps(output, day.reviewer, truth.basket):
        got = exit_checks(0.95, output, step, truth.basket, slips, ties)
        facts = replace(
            store_facts(got.receipts, int(step.reviewed.sum()), truth, plan.world),
            exit_checks_per_day=float(got.checked),
        )
        if got.reachable:
            costs.append(annual_cost(system.sensors, facts, plan.prices, plan.sensors)["cost_per_visit"])
    assert len(costs) > 1 and record["at95_cost_per_visit"] == pytest.approx(min(costs))


@pytest.mark.parametrize("design", ["vision_fusion", "weight_only", "rfid_gate"])
def test_every_design_reaches_the_targets_with_people_and_pays_for_them(tiny_day, design):
    plan, day, outputs = tiny_day
    record = score_day(plan, day, outputs, [])["systems"][design]
    base = record["receipt_exact"]
    for target in plan.equal_accuracy.targets:
        prefix = target_prefix(target)
        assert record[f"{prefix}reachable"] == 1.0
        assert record[f"{prefix}receipt_exact"] >= target
        people = (record[f"{prefix}checked_share"] or 0.0) + (record[f"{prefix}reviewed_share"] or 0.0)
        assert people > 0.0 if base < target else people >= 0.0
    lower, higher = (target_prefix(t) for t in sorted(plan.equal_accuracy.targets))
    people = {p: (record[f"{p}checked_share"], record[f"{p}reviewed_share"] or 0.0) for p in (lower, higher)}
    assert people[higher][0] >= people[lower][0] or people[higher][1] > people[lower][1]  # more of one


def test_a_checker_who_always_slips_cannot_take_a_design_past_its_own_accuracy():
    plan = plan_comparison(
        compose_config(["debug=tiny", "system=[rfid_gate]", "equal_accuracy.check_error_rate=1.0"])
    )
    day = sense_day(plan)
    record = score_day(plan, day, run_systems(plan, day), [])["systems"]["rfid_gate"]
    assert record["receipt_exact"] < 0.95
    assert record["at95_reachable"] == 0.0 and record["at95_cost_per_visit"] is None
    assert record["at95_checked_share"] == 1.0 and record["at95_receipt_exact"] == record["receipt_exact"]
