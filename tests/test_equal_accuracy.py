"""Cost at equal accuracy: a policy (review step, share of baskets checked) set on one fold of the
visits and run on the other, chosen from what the design itself doubts; the people's answers
come from the truth, and every means is priced."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.conftest import compose_config
from toolkit.comparison.pipeline import run_systems, sense_day
from toolkit.comparison.plan import plan_comparison
from toolkit.comparison.scoring import score_day
from toolkit.config import ConfigError
from toolkit.metrics.accuracy import receipt_exact_match
from toolkit.metrics.equal_accuracy import (
    EqualAccuracySettings,
    Prices,
    calibrate,
    check_order,
    day_folds,
    event_sureness,
    fold_curves,
    review_steps,
    settled,
    target_prefix,
)
from toolkit.systems import BasketOutput, SystemOutput
from toolkit.systems.fusion import settle

# ten visits of one or two units: visits 7, 8 and 9 (the biggest baskets) lost a unit each
BASKET = np.array([[1, 0]] * 7 + [[2, 1]] * 3)
RECEIPTS = np.array([[1, 0]] * 7 + [[2, 0]] * 3)
ALL = np.ones(10, bool)
NO_SLIPS = np.zeros(10, bool)


def prices(check: float) -> Prices:
    return Prices(review=0.5, check=check, sku=np.array([1.0, 4.0]), overcharge=3.0)


@pytest.fixture(scope="module")
def tiny_day():
    plan = plan_comparison(compose_config(["debug=tiny", "system=[vision_fusion,weight_only,rfid_gate]"]))
    day = sense_day(plan)
    return plan, day, run_systems(plan, day)


def test_targets_are_shares_between_zero_and_one_and_name_their_keys():
    assert target_prefix(0.95) == "at95_" and target_prefix(0.995) == "at99_5_"
    with pytest.raises(ConfigError, match=r"equal_accuracy\.targets"):
        EqualAccuracySettings.from_config({"targets": [0.95, 1.0], "check_error_rate": 0.0})


def test_checks_go_first_to_what_the_decoder_doubts_then_to_the_biggest_baskets():
    ties = np.arange(10)
    by_units = check_order(BasketOutput(RECEIPTS), None, RECEIPTS, ties)
    assert set(by_units[:3]) == {7, 8, 9}  # two units on each receipt, one elsewhere
    doubt = np.zeros(10)
    doubt[2] = 1.0
    assert check_order(BasketOutput(RECEIPTS, visit_doubt=doubt), None, RECEIPTS, ties)[0] == 2


def test_a_dear_check_buys_just_the_accuracy_asked_and_a_cheap_one_every_mistake():
    output = BasketOutput(RECEIPTS)
    steps = review_steps(output)

    def policy(check: float, slips: np.ndarray = NO_SLIPS, mine: np.ndarray = ALL):
        curves = fold_curves(mine, output, steps, None, BASKET, slips, np.arange(10), prices(check), None)
        return calibrate(0.8, curves, len(steps))

    dear = policy(100.0)
    assert dear.reaches and dear.check_share == pytest.approx(0.1)  # 7 right + 1 checked = 80 %
    cheap = policy(1.0)
    assert cheap.reaches and cheap.check_share == pytest.approx(0.3)  # each lost unit costs 4 $
    slips = np.zeros(10, bool)
    slips[7:] = True  # the checker misses every mistake there is
    hopeless = policy(1.0, slips)
    assert not hopeless.reaches and hopeless.check_share == 1.0
    assert not policy(1.0, mine=np.zeros(10, bool)).reaches  # no audited visits: no policy


def test_the_review_rung_starts_at_the_designs_receipts_and_reviewing_all_raises_accuracy(tiny_day):
    _plan, day, outputs = tiny_day
    output = outputs["vision_fusion"]
    assert isinstance(output, SystemOutput)
    steps = review_steps(output)
    assert len(steps) == 11 and np.array_equal(steps[0], output.reviewed)
    assert np.array_equal(settled(output, steps[0], day.reviewer), output.receipts)
    alone = output.visible & ~output.reviewed
    assert steps[-1][output.visible].all()
    # least sure first: each step adds events no surer than any it left out
    sure = event_sureness(output)
    for before, after in itertools.pairwise(steps):
        added = after & ~before
        left = alone & ~after
        assert not left.any() or sure[added].max() <= sure[left].min()
    basket = day.truth.basket
    everything = settled(output, steps[-1], day.reviewer)
    assert receipt_exact_match(everything, basket) > receipt_exact_match(output.receipts, basket)


def test_receipts_updated_by_the_added_reviews_are_the_day_settled_anew(tiny_day):
    """settled() re-adds only the events reviewed beyond the design's own: the same receipts as
    settling every event again, for random sets of added reviews (and fewer reviews too)."""
    _plan, day, outputs = tiny_day
    output = outputs["vision_fusion"]
    rng = np.random.default_rng(0)
    for share in (0.05, 0.3, 1.0):
        reviewed = output.reviewed | (rng.random(output.reviewed.size) < share)
        if share == 1.0:
            reviewed = reviewed & (rng.random(reviewed.size) < 0.5)  # some of the design's own undone
        decided = (output.map_sku, output.map_count, output.attributed_visit)
        expected = settle(*decided, reviewed, day.reviewer, *output.receipts.shape)[3]
        assert np.array_equal(settled(output, reviewed, day.reviewer), expected)


def test_a_policy_is_set_without_the_other_folds_answers(tiny_day):
    """Calibrating on fold 1 asks the reviewer about no event of fold 0 beyond those the design
    sent itself: the other fold's answers (its truth) never settle the receipts a policy is set on."""
    plan, day, outputs = tiny_day
    output, truth = outputs["vision_fusion"], day.truth
    fold = day_folds(truth.n_visits)
    event_fold = np.where(output.attributed_visit >= 0, fold[np.maximum(output.attributed_visit, 0)], 0)

    class Spy:
        def __init__(self) -> None:
            self.asked: set[int] = set()

        def review(self, events, *proposed):
            self.asked.update(events.tolist())
            return day.reviewer.review(events, *proposed)

        def extras(self, events):
            return day.reviewer.extras(events)

    spy = Spy()
    means = Prices(review=0.5, check=0.2, sku=plan.world.catalog.price, overcharge=3.0)
    visits = truth.n_visits
    args = (truth.basket, np.zeros(visits, bool), np.arange(visits), means, event_fold == 1)
    steps = review_steps(output)
    curves = fold_curves(fold == 1, output, steps, spy, *args)
    for target in (0.95, 0.99):
        calibrate(target, curves, len(steps))
    asked = np.zeros(event_fold.size, bool)
    asked[list(spy.asked)] = True
    assert asked.any() and not (asked & (event_fold == 0) & ~output.reviewed).any()


def test_the_folds_are_alternate_eighths_of_the_day():
    assert day_folds(16).tolist() == [0, 0, 1, 1] * 4
    assert day_folds(0).size == 0 and day_folds(3).tolist() == [0, 1, 0]


@pytest.mark.parametrize("design", ["vision_fusion", "weight_only", "rfid_gate"])
def test_every_design_reaches_the_targets_with_people_and_pays_for_them(tiny_day, design):
    """A policy set on half the visits takes the other half to about the target (the folds are
    75 visits of the tiny day: a few receipts either way), and costs the people it takes."""
    plan, day, outputs = tiny_day
    record = score_day(plan, day, outputs, [])["systems"][design]
    for target in plan.equal_accuracy.targets:
        prefix = target_prefix(target)
        assert record[f"{prefix}reachable"] == 1.0
        assert record[f"{prefix}receipt_exact"] >= target - 0.05
        assert record[f"{prefix}met"] == float(record[f"{prefix}receipt_exact"] >= target)
        assert record[f"{prefix}checked_share"] + (record[f"{prefix}reviewed_share"] or 0.0) > 0.0
        assert record[f"{prefix}cost_per_visit"] > 0.0
    assert record["cost_exit_check"] == 0.0  # the design's own run checks nobody


def test_a_checker_who_always_slips_cannot_take_a_design_past_its_own_accuracy():
    plan = plan_comparison(
        compose_config(["debug=tiny", "system=[rfid_gate]", "equal_accuracy.check_error_rate=1.0"])
    )
    day = sense_day(plan)
    record = score_day(plan, day, run_systems(plan, day), [])["systems"]["rfid_gate"]
    assert record["receipt_exact"] < 0.95
    assert record["at95_reachable"] == 0.0 and record["at95_cost_per_visit"] is None
    assert record["at95_checked_share"] == 1.0 and record["at95_receipt_exact"] == record["receipt_exact"]
