"""The fusion core: posterior, fallback, decision, attribution and the history prior."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_day

from toolkit.carts import CartLedger, misplaced_floor
from toolkit.fusion import (
    PriorSettings,
    attribute,
    decide,
    history_log_lift,
    history_probabilities,
    log_prior_terms,
    normalised_log_prior,
    posterior,
    structural_log_prior,
)
from toolkit.hypotheses import EventHypotheses, build_hypothesis_space, join_hypotheses
from toolkit.sensors.observations import Presence, PurchaseRecords


def test_posterior_normalises_and_flat_evidence_changes_nothing():
    rng = np.random.default_rng(0)
    valid = np.ones((5, 4), dtype=bool)
    valid[:, 3] = False
    prior = np.where(valid, np.log(rng.dirichlet(np.ones(4), 5)), -np.inf)
    flat = np.where(valid, 0.0, -np.inf)
    log_post, fallback = posterior(prior, [(1.0, flat)], valid)
    assert np.allclose(np.exp(log_post).sum(axis=1), 1.0)
    assert np.allclose(
        np.exp(log_post)[:, :3], np.exp(prior)[:, :3] / np.exp(prior)[:, :3].sum(1, keepdims=True)
    )
    assert not fallback.any()


def test_impossible_rows_fall_back_to_the_prior_and_are_flagged():
    valid = np.ones((2, 3), dtype=bool)
    prior = np.log(np.array([[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]]))
    evidence = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -1.0, -np.inf]])
    log_post, fallback = posterior(prior, [(1.0, evidence)], valid)
    assert fallback.tolist() == [True, False]
    assert np.allclose(np.exp(log_post[0]), [0.2, 0.3, 0.5])
    assert np.exp(log_post[1, 2]) == 0.0


def test_beta_weights_the_evidence():
    valid = np.ones((1, 2), dtype=bool)
    prior = np.log(np.array([[0.5, 0.5]]))
    evidence = np.array([[0.0, -1.0]])
    sharp, _ = posterior(prior, [(2.0, evidence)], valid)
    plain, _ = posterior(prior, [(1.0, evidence)], valid)
    ignored, _ = posterior(prior, [(0.0, evidence)], valid)
    assert np.exp(sharp[0, 0]) > np.exp(plain[0, 0]) > np.exp(ignored[0, 0]) == pytest.approx(0.5)


def test_decide_sends_doubtful_events_to_review():
    log_post = np.log(np.array([[0.9, 0.1], [0.4, 0.6]]))
    best, confidence, review = decide(log_post, threshold=0.7)
    assert best.tolist() == [0, 1]
    assert confidence.tolist() == pytest.approx([0.9, 0.6])
    assert review.tolist() == [False, True]


def test_attribution_prefers_the_nearest_shopper():
    presence = Presence(
        candidate_visit=np.array([[4, 7], [5, -1], [-1, -1]]),
        candidate_pos_m=np.array([[0.1, 1.0], [0.9, np.nan], [np.nan, np.nan]]),
    )
    visit, confidence = attribute(presence, np.array([0.2, 0.2, 0.2]), sigma_m=0.3)
    assert visit.tolist() == [4, 5, -1]
    assert confidence[1] == 1.0 and confidence[2] == 0.0
    assert 0.5 < confidence[0] < 1.0


def test_attribution_in_two_dimensions_weighs_the_distance_back_from_the_shelf():
    # both at the plate's position along the shelf; one at the front (0.35 m), one waiting behind
    presence = Presence(
        candidate_visit=np.array([[4, 7]]),
        candidate_pos_m=np.array([[0.2, 0.2]]),
        candidate_depth_m=np.array([[1.0, 0.35]]),
    )
    visit, confidence = attribute(presence, np.array([0.2]), sigma_m=0.35)
    assert visit.tolist() == [7] and confidence[0] > 0.9
    # without depth the two are a coin toss; with both at the front, along-shelf distance decides
    flat = attribute(Presence(presence.candidate_visit, presence.candidate_pos_m), np.array([0.2]), 0.35)
    assert flat[1][0] == pytest.approx(0.5)
    front = Presence(presence.candidate_visit, np.array([[0.2, 0.8]]), np.array([[0.35, 0.35]]))
    assert attribute(front, np.array([0.2]), 0.35)[0].tolist() == [4]


def test_history_prior_is_the_shrunk_dirichlet_multinomial():
    records = PurchaseRecords(counts=np.array([[3, 0, 1], [0, 0, 0]]))
    pi = records.popularity  # (3+1, 0+1, 1+1) / 7
    kappa = 2.0
    p = history_probabilities(records, kappa)
    assert p[0].tolist() == pytest.approx(
        [(3 + kappa * pi[0]) / 6, (0 + kappa * pi[1]) / 6, (1 + kappa * pi[2]) / 6]
    )
    assert p[1].tolist() == pytest.approx(pi.tolist())  # no history: popularity
    hyps = EventHypotheses(
        sku=np.array([[[0, -1], [1, -1]]] * 3),
        count=np.array([[[1, 0], [1, 0]]] * 3),
        valid=np.ones((3, 2), dtype=bool),
        form=np.zeros((3, 2), dtype=np.int8),
    )
    lift = history_log_lift(hyps, np.array([0, 1, -1]), records, kappa)
    assert lift[0, 0] > 0 > lift[0, 1]  # shopper 0 buys SKU 0 often, SKU 1 never
    assert np.allclose(lift[1:], 0.0)  # no history, or unknown shopper: no change


@pytest.mark.parametrize("planogram", [True, False])
def test_the_prior_per_plate_gathered_is_the_prior_per_event_bit_for_bit(planogram):
    """Designs compute the prior's terms once per plate and gather them: each event's prior, and
    that of its hypotheses joined with a misplaced floor, must be the numbers computed alone."""
    cfg, world, truth = small_day()
    space = build_hypothesis_space(world, cfg.hypotheses)
    settings = PriorSettings(**{**cfg.system.weight_only.prior, "planogram": planogram})
    plates = truth.inter_plate
    per_plate = space.for_plates(np.arange(world.planogram.n_plates))
    terms = log_prior_terms(per_plate, world, settings)
    hyps = space.for_plates(plates)
    gathered = normalised_log_prior(terms, per_plate, settings)[plates]
    assert gathered.tobytes() == structural_log_prior(hyps, world, settings).tobytes()
    ledger = CartLedger.from_decisions(
        truth.inter_visit, truth.inter_sku, truth.inter_count, truth.inter_time_s, world.catalog.n_skus
    )
    floor = misplaced_floor(
        ledger,
        truth.inter_visit[:, None],
        truth.inter_time_s + 60.0,
        world.planogram.plate_shelf[plates],
        world.planogram.sku_shelf,
    )
    assert floor.shape[1] > 0
    joined = join_hypotheses(hyps, floor)
    terms_joined = np.concatenate([terms[plates], log_prior_terms(floor, world, settings)], axis=1)
    expected = structural_log_prior(joined, world, settings)
    assert normalised_log_prior(terms_joined, joined, settings).tobytes() == expected.tobytes()
