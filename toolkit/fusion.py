"""Fusion: prior × Π likelihoods → posterior over each event's hypotheses → decision.

    log p(h | obs) = log prior(h) + Σ_r β_r · log L_r(obs_r | h) − log Z     # naive Bayes when β_r = 1

All in log space. A row where every hypothesis is impossible under the evidence falls back to the
prior and is flagged (and so reviewed). Attribution of an event to a shopper has its own posterior.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import numpy as np
from pydantic import Field

from toolkit.config import (
    Flag,
    Positive,
    Real,
    Settings,
)
from toolkit.hypotheses import (
    FORM_MISPLACED,
    FORM_MIXED,
    FORM_NULL,
    FORM_ON_PLATE,
    FORM_ON_SHELF,
    EventHypotheses,
)
from toolkit.numerics import logsumexp
from toolkit.sensors.observations import Presence, PurchaseRecords
from toolkit.world import World

OpenProbability = Annotated[Real, Field(gt=0.0, le=1.0)]


class PriorSettings(Settings):
    """Store-level prior knowledge a deployed system would estimate from its own data."""

    planogram: Flag
    history: Flag
    cart: Flag
    cart_epsilon: OpenProbability
    kappa: Positive
    off_plate_weight: Positive
    misplaced_weight: Positive
    p_putback: OpenProbability
    p_mixed: OpenProbability
    count_decay: OpenProbability
    p_false_event: OpenProbability


def structural_log_prior(hyps: EventHypotheses, world: World, settings: PriorSettings) -> np.ndarray:
    """log prior (E, H) from direction, counts, mixed grabs and (if on) the planogram; normalised
    per event, with p_false_event on the null hypothesis (an event on a plate that stocks nothing
    has only the null: its product terms are NaN, and `normalised_log_prior` masks them out)."""
    return normalised_log_prior(log_prior_terms(hyps, world, settings), hyps, settings)


def log_prior_terms(hyps: EventHypotheses, world: World, settings: PriorSettings) -> np.ndarray:
    """The prior's unnormalised log weight of each hypothesis (E, H): a function of the hypothesis
    alone, so a plate's hypotheses have the same terms for every event on it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        first = hyps.count[..., 0]
        log_p = np.where(first < 0, np.log(settings.p_putback), np.log1p(-settings.p_putback))
        lines = hyps.sku >= 0
        # p(count = c) ∝ decay^(c−1), per line
        log_p = log_p + np.where(lines, (np.abs(hyps.count) - 1) * np.log(settings.count_decay), 0.0).sum(-1)
        mixed = hyps.form == FORM_MIXED
        log_p = log_p + np.where(mixed, np.log(settings.p_mixed), np.log1p(-settings.p_mixed))
        if settings.planogram:
            facings = world.planogram.slot_facings[world.planogram.sku_slot]
            safe = np.where(lines, hyps.sku, 0)
            on_plate = np.where(lines, np.log(facings[safe]), 0.0).sum(-1)
            log_p = log_p + np.select(
                [
                    hyps.form == FORM_ON_PLATE,
                    hyps.form == FORM_MIXED,
                    hyps.form == FORM_ON_SHELF,
                    hyps.form == FORM_MISPLACED,
                ],
                [on_plate, on_plate, np.log(settings.off_plate_weight), np.log(settings.misplaced_weight)],
                0.0,
            )
    return log_p


def normalised_log_prior(log_p: np.ndarray, hyps: EventHypotheses, settings: PriorSettings) -> np.ndarray:
    """The prior (E, H) from its terms: the product hypotheses share 1 − p_false_event, "nothing
    moved" gets p_false_event, invalid cells -inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        product = hyps.valid & (hyps.form != FORM_NULL)
        masked = np.where(product, log_p, -np.inf)
        norm = logsumexp(masked, axis=1, keepdims=True) if masked.shape[1] else masked
        log_p = np.where(
            hyps.form == FORM_NULL,
            np.log(settings.p_false_event),
            masked - norm + np.log1p(-settings.p_false_event),
        )
    return np.where(hyps.valid, log_p, -np.inf)


def history_probabilities(records: PurchaseRecords, kappa: float) -> np.ndarray:
    """p(y | c) = (n_cy + κ π_y) / (n_c + κ): each shopper's purchases shrunk toward popularity."""
    counts = records.counts.astype(float)
    popularity = records.popularity
    return (counts + kappa * popularity) / (counts.sum(axis=1, keepdims=True) + kappa)


def history_log_lift(
    hyps: EventHypotheses, shopper: np.ndarray, records: PurchaseRecords, kappa: float
) -> np.ndarray:
    """Σ over lines of log p(y | c) − log π_y: how much more this shopper buys y than the store does.

    A lift, not a probability, so that with no history (n_c = 0) the prior is unchanged and mixed
    grabs are not penalised twice. Unknown shoppers (-1) get zero lift.
    """
    lift = np.log(history_probabilities(records, kappa)) - np.log(records.popularity)
    known = shopper >= 0
    lines = hyps.sku >= 0
    rows = np.where(known, shopper, 0)[:, None, None]
    per_line = np.where(lines & known[:, None, None], lift[rows, np.where(lines, hyps.sku, 0)], 0.0)
    return np.where(hyps.valid, per_line.sum(-1), 0.0)


def posterior(
    log_prior: np.ndarray, evidence: Sequence[tuple[float, np.ndarray]], valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised log posterior (E, H) and a flag for rows that fell back to the prior."""
    score = log_prior.copy()
    for beta, loglik in evidence:
        if beta != 0.0:
            score = score + beta * loglik
    score = np.where(valid, score, -np.inf)
    impossible = ~np.isfinite(score).any(axis=1)
    score[impossible] = log_prior[impossible]
    with np.errstate(invalid="ignore"):
        log_z = logsumexp(score, axis=1, keepdims=True)
        log_post = np.where(np.isfinite(log_z), score - log_z, -np.inf)
    return log_post, impossible


def decide(log_post: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MAP hypothesis, its posterior probability, and whether it falls below the review threshold."""
    best = np.argmax(log_post, axis=1)
    confidence = np.exp(np.take_along_axis(log_post, best[:, None], 1)[:, 0])
    return best, confidence, confidence < threshold


def attribution_log_probs(presence: Presence, plate_pos_m: np.ndarray, sigma_m: float) -> np.ndarray:
    """log p(v | e) ∝ −d_v² / 2σ² over the shoppers seen at the shelf (E, C), d_v the distance
    from the shopper to the reach point (the plate, at the shelf's front): along the shelf and,
    where the tracks give it, back from the front (the one reaching stands at the shelf, others
    wait behind).

    Padding is -inf; a row where nobody was seen is uniform (its visits are all -1).
    """
    seen = presence.candidate_visit >= 0
    distance2 = (presence.candidate_pos_m - plate_pos_m[:, None]) ** 2
    if presence.candidate_depth_m is not None:
        distance2 = distance2 + np.maximum(presence.candidate_depth_m, 0.0) ** 2
    logits = np.where(seen, -0.5 * distance2 / sigma_m**2, -np.inf)
    logits[~seen.any(axis=1)] = 0.0
    return logits - logsumexp(logits, axis=1, keepdims=True)


def attribute(presence: Presence, plate_pos_m: np.ndarray, sigma_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The MAP visit of each event (-1 when nobody was seen) and its attribution probability."""
    return map_attribution(presence, attribution_log_probs(presence, plate_pos_m, sigma_m))


def map_attribution(presence: Presence, log_p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`attribute` from the attribution log-probabilities (E, C) already at hand."""
    nobody = ~(presence.candidate_visit >= 0).any(axis=1)
    best = np.argmax(log_p, axis=1)
    visit = np.where(nobody, -1, np.take_along_axis(presence.candidate_visit, best[:, None], 1)[:, 0])
    confidence = np.where(nobody, 0.0, np.exp(np.take_along_axis(log_p, best[:, None], 1)[:, 0]))
    return visit, confidence
