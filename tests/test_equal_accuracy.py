"""Cost at equal accuracy: the ladder (review, then exit checks) reaches a target from what the
design itself doubts, the people's answers come from the truth, and every rung is priced."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import compose_config
from toolkit.comparison.pipeline import run_systems, sense_day
from toolkit.comparison.plan import plan_comparison
from toolkit.comparison.scoring import score_day
from toolkit.config import ConfigError
from toolkit.metrics.equal_accuracy import (
    EqualAccuracySettings,
    exact_share,
    first_reaching,
    reach,
    review_ladder,
    target_prefix,
)
from toolkit.systems import BasketOutput, SystemOutput


@pytest.fixture(scope="module")
def tiny_day():
    plan = plan_comparison(compose_config(["debug=tiny", "system=[vision_fusion,weight_only,rfid_gate]"]))
    day = sense_day(plan)
    return plan, day, run_systems(plan, day)


def test_bisection_finds_the_first_k_that_reaches_the_target_or_says_none_does():
    shares = np.array([0.5, 0.6, 0.6, 0.8, 0.9, 0.95])
    assert first_reaching(0.8, lambda k: shares[k], 5) == 3
    assert first_reaching(0.5, lambda k: shares[k], 5) == 0
    assert first_reaching(0.96, lambda k: shares[k], 5) is None


def test_targets_are_shares_between_zero_and_one_and_name_their_keys():
    assert target_prefix(0.95) == "at95_" and target_prefix(0.995) == "at99_5_"
    with pytest.raises(ConfigError, match=r"equal_accuracy\.targets"):
        EqualAccuracySettings.from_config({"targets": [0.95, 1.0], "check_error_rate": 0.0})


def test_baskets_with_most_units_are_checked_first_and_a_slip_leaves_the_receipt_wrong():
    basket = np.array([[1, 0], [3, 2], [0, 1], [2, 2]])
    receipts = np.array([[1, 0], [3, 1], [0, 1], [2, 1]])  # the two biggest baskets lost a unit
    output = BasketOutput(receipts)
    none = np.zeros(4, bool)
    got = reach(1.0 - 1e-9, output, basket, None, none, np.arange(4))
    assert (got.checked, got.reachable, got.exact) == (2, True, 1.0)  # not the small right ones
    slipped = reach(1.0 - 1e-9, output, basket, None, np.array([False, True, False, False]), np.arange(4))
    assert not slipped.reachable and slipped.exact == 0.75 and slipped.checked == 4


def test_the_review_rung_starts_at_the_designs_receipts_and_reviewing_all_raises_accuracy(tiny_day):
    _plan, day, outputs = tiny_day
    basket = day.truth.basket
    output = outputs["vision_fusion"]
    assert isinstance(output, SystemOutput)
    receipts_at, order = review_ladder(output, day.reviewer, *basket.shape)
    assert np.array_equal(receipts_at(0), output.receipts)
    # least confident first: the order is the design's own confidence, not the truth
    assert np.all(np.diff(output.confidence[order]) >= 0)
    assert not output.reviewed[order].any() and output.visible[order].all()
    assert exact_share(receipts_at(order.size), basket) > exact_share(receipts_at(0), basket)


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
    assert record[f"{higher}checked_share"] >= record[f"{lower}checked_share"]


def test_a_checker_who_always_slips_cannot_take_a_design_past_its_own_accuracy():
    plan = plan_comparison(
        compose_config(["debug=tiny", "system=[rfid_gate]", "equal_accuracy.check_error_rate=1.0"])
    )
    day = sense_day(plan)
    record = score_day(plan, day, run_systems(plan, day), [])["systems"]["rfid_gate"]
    assert record["receipt_exact"] < 0.95
    assert record["at95_reachable"] == 0.0 and record["at95_cost_per_visit"] is None
    assert record["at95_checked_share"] == 1.0 and record["at95_receipt_exact"] == record["receipt_exact"]
