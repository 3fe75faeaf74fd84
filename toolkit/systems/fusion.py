"""The fusion design: recognizers' evidence, priors and a decision policy, per detected event.

    log p(h | obs) = log prior(h) + Σ_r β_r · log L_r(obs_r | h) − log Z

then attribution to a shopper, review of doubtful events, and receipts from virtual carts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from toolkit.carts import CartLedger, build_receipts, joint_cart_posterior, misplaced_floor
from toolkit.config import (
    ConfigError,
    NonNegative,
    Positive,
    Probability,
    Settings,
    check_value,
    choice,
)
from toolkit.fusion import (
    PriorSettings,
    attribution_log_probs,
    decide,
    history_log_lift,
    log_prior_terms,
    map_attribution,
    normalised_log_prior,
    posterior,
)
from toolkit.hypotheses import EventHypotheses, HypothesisSpace, canonical_lines, join_hypotheses
from toolkit.recognizers.base import EventBatch, Recognizer, check_evidence
from toolkit.seeding import component_rng
from toolkit.sensors.observations import Observations, ShelfEvents
from toolkit.shared import once_per
from toolkit.systems.base import Reviewer, SystemOutput
from toolkit.world import World


class DecisionSettings(Settings):
    """A fusion design's policy: below `review_threshold` (MAP posterior) or
    `attribution_threshold` (shopper posterior) an event goes to a human reviewer."""

    review_threshold: Probability
    attribution_threshold: Probability
    attribution_sigma_m: Positive


class CheckoutSystem:
    """The camera and shelf-sensor design: each recognizer's evidence over every detected event's
    hypotheses, weighted by β and fused with the prior into a posterior; the MAP decision, the
    shopper the cameras place at the shelf, and a human review of the doubtful events; receipts
    from the virtual carts. Its ablations (weight alone, weight and pressure, ...) are the same
    class with fewer recognizers or priors."""

    def __init__(
        self,
        name: str,
        recognizers: Mapping[str, Recognizer],
        prior: Mapping[str, Any] | PriorSettings,
        decision: Mapping[str, Any] | DecisionSettings,
        beta: Mapping[str, float] | None = None,
    ) -> None:
        path = f"system.{name}"
        if not recognizers:
            raise ConfigError(f"{path}.recognizers: a list of at least one recognizer name")
        beta = beta or {}
        for rname in beta:
            choice(rname, recognizers, f"{path}.beta")
        self.name = name
        self.recognizers = dict(recognizers)
        self.beta = {r: check_value(NonNegative, beta.get(r, 1.0), f"{path}.beta.{r}") for r in recognizers}
        self.prior = (
            prior if isinstance(prior, PriorSettings) else PriorSettings.from_config(prior, f"{path}.prior")
        )
        self.decision = (
            decision
            if isinstance(decision, DecisionSettings)
            else DecisionSettings.from_config(decision, f"{path}.decision")
        )

    @property
    def signals(self) -> frozenset[str]:
        """The per-event signals this design's recognizers read."""
        return frozenset().union(*(r.signals for r in self.recognizers.values()))

    @property
    def sensors(self) -> frozenset[str]:
        """The physical sensors it needs (and pays for): its signals' sensors, the load cells whose
        events it decides (whatever its recognizers read) and the cameras that attribute them."""
        return self.signals | {"camera", "loadcell"}

    def prepare(self, world: World, seed: int) -> None:
        for rname, recognizer in self.recognizers.items():
            recognizer.prepare(world, component_rng(seed, "system", self.name, "recognizer", rname))

    def _evidence(self, world: World, batch: EventBatch) -> list[tuple[float, np.ndarray]]:
        """(β, log-likelihood (E, H)) of each recognizer on a batch; a recognizer with a sharing
        key scores a batch once for every design that fuses it."""
        return [(self.beta[n], _shared_evidence(r, world, batch)) for n, r in self.recognizers.items()]

    def _log_prior(
        self,
        world: World,
        space: HypothesisSpace,
        events: ShelfEvents,
        hyps: EventHypotheses,
        floor: EventHypotheses | None = None,
    ) -> np.ndarray:
        """The structural prior of the events' hypotheses `hyps` (E, H), or of those joined with
        the misplaced floor (`hyps` then the joined set). A plate's hypotheses are the same for
        every event on it: their terms, and the first pass's prior, are computed per plate once
        per prior setting and gathered (each row the numbers it would be computed alone)."""
        settings = tuple(self.prior.model_dump().items())
        per_plate = space.per_plate()
        terms = once_per(
            (space, world),
            ("structural prior terms", settings),
            lambda: log_prior_terms(per_plate, world, self.prior),
        )
        if floor is None:
            table = once_per(
                (space, world),
                ("structural prior per plate", settings),
                lambda: normalised_log_prior(terms, per_plate, self.prior),
            )
            return once_per((hyps, world), ("structural prior", settings), lambda: table[events.plate])
        joined = np.concatenate([terms[events.plate], log_prior_terms(floor, world, self.prior)], axis=1)
        return normalised_log_prior(joined, hyps, self.prior)

    @staticmethod
    def _ledger(
        world: World, events: ShelfEvents, hyps: EventHypotheses, log_post: np.ndarray, visit: np.ndarray
    ) -> CartLedger:
        """Virtual carts from the MAP decisions of a pass, attributed to `visit`."""
        rows, best = np.arange(events.n_events), np.argmax(log_post, axis=1)
        return CartLedger.from_decisions(
            visit, hyps.sku[rows, best], hyps.count[rows, best], events.time_s, world.catalog.n_skus
        )

    def run(
        self, world: World, space: HypothesisSpace, obs: Observations, reviewer: Reviewer
    ) -> SystemOutput:
        missing = self.signals - set(obs.readings)
        if missing:
            raise ConfigError(
                f"system.{self.name}: needs signals {sorted(missing)} that no configured sensor provides"
            )
        events, presence = obs.events, obs.presence
        # the first pass's hypotheses, evidence, prior and attribution are the same for every
        # design with the same recognizers and settings: computed once for them all
        hyps = once_per((space, events), "hypotheses", lambda: space.for_plates(events.plate))
        readings = {s: obs.readings[s] for s in self.signals}
        evidence = self._evidence(world, EventBatch(events=events, hypotheses=hyps, readings=readings))

        if presence is None:
            raise ConfigError(f"system.{self.name}: attribution needs the presence sensor")
        sigma = self.decision.attribution_sigma_m
        plate_pos = world.planogram.plate_offset_m[events.plate]
        attribution_log_p = once_per(
            (presence, events, world),
            ("attribution log-probabilities", sigma),
            lambda: attribution_log_probs(presence, plate_pos, sigma),
        )
        visit, attribution_conf = map_attribution(presence, attribution_log_p)
        shopper = None
        if self.prior.history:
            if obs.entry is None or obs.records is None:
                raise ConfigError(f"system.{self.name}.prior.history: needs entry scans and purchase records")
            shopper = np.where(visit >= 0, obs.entry.visit_shopper[np.maximum(visit, 0)], -1)
        log_prior = self._log_prior(world, space, events, hyps)
        kappa = self.prior.kappa
        lift = None
        if shopper is not None:
            lift = history_log_lift(hyps, shopper, obs.records, kappa)
            log_prior = log_prior + lift
        log_post, fallback = posterior(log_prior, evidence, hyps.valid)
        if space.misplaced_floor:
            # what each shopper carries, from this first pass, says which foreign items could be put down
            ledger = self._ledger(world, events, hyps, log_post, visit)
            floor = misplaced_floor(
                ledger, presence.candidate_visit, events.time_s, events.shelf, world.planogram.sku_shelf
            )
            if floor.shape[1]:
                floor_evidence = self._evidence(
                    world, EventBatch(events=events, hypotheses=floor, readings=readings)
                )
                evidence = [
                    (beta, np.concatenate([loglik, more], axis=1))
                    for (beta, loglik), (_, more) in zip(evidence, floor_evidence, strict=True)
                ]
                hyps = join_hypotheses(hyps, floor)
                log_prior = self._log_prior(world, space, events, hyps, floor)
                if lift is not None:  # a hypothesis's lift is its own: the floor's are appended
                    floor_lift = history_log_lift(floor, shopper, obs.records, kappa)
                    log_prior = log_prior + np.concatenate([lift, floor_lift], axis=1)
                log_post, fallback = posterior(log_prior, evidence, hyps.valid)
        rows = np.arange(events.n_events)
        if self.prior.cart:
            log_post, visit, attribution_conf = joint_cart_posterior(
                log_post,
                hyps,
                attribution_log_p,
                presence.candidate_visit,
                events.time_s,
                self._ledger(world, events, hyps, log_post, visit),
                self.prior.cart_epsilon,
            )
        best, confidence, doubtful = decide(log_post, self.decision.review_threshold)

        map_sku, map_count = hyps.sku[rows, best], hyps.count[rows, best]
        visible = events.seen_by(self.signals)
        map_sku[~visible], map_count[~visible], visit = -1, 0, np.where(visible, visit, -1)
        reviewed = visible & (doubtful | fallback | (attribution_conf < self.decision.attribution_threshold))
        n_visits = obs.entry.visit_shopper.shape[0] if obs.entry is not None else None
        final_sku, final_count, final_visit, receipts = settle(
            map_sku, map_count, visit, reviewed, reviewer, n_visits, world.catalog.n_skus
        )
        return SystemOutput(
            visible=visible,
            map_sku=map_sku,
            map_count=map_count,
            confidence=confidence,
            fallback=fallback,
            attributed_visit=visit,
            attribution_confidence=attribution_conf,
            reviewed=reviewed,
            final_sku=final_sku,
            final_count=final_count,
            final_visit=final_visit,
            receipts=receipts,
        )


def settle(
    map_sku: np.ndarray,
    map_count: np.ndarray,
    visit: np.ndarray,
    reviewed: np.ndarray,
    reviewer: Reviewer,
    n_visits: int | None,
    n_skus: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Final lines, visit and receipts (V, n_skus) once the reviewer has answered for the
    `reviewed` events: their lines and visit become the reviewer's, and what review found beyond
    each event's main lines goes on the carts too (`n_visits` None: as many as the final lines
    name). A store that reviews more events (a higher
    threshold) settles the same machine decisions with a larger `reviewed`."""
    final_sku, final_count, final_visit = map_sku.copy(), map_count.copy(), visit.copy()
    sent = np.flatnonzero(reviewed)
    extra_visit = extra_sku = extra_count = np.zeros(0, dtype=np.int64)
    if sent.size:
        r_sku, r_count, r_visit = reviewer.review(sent, map_sku[sent], map_count[sent], visit[sent])
        final_sku[sent], final_count[sent], final_visit[sent] = r_sku, r_count, r_visit
        extra_visit, extra_sku, extra_count = reviewer.extras(sent)
    final_sku, final_count = canonical_lines(final_sku, final_count)
    lines_sku = np.r_[final_sku, np.c_[extra_sku, np.full(extra_sku.size, -1)]]
    lines_count = np.r_[final_count, np.c_[extra_count, np.zeros(extra_count.size, np.int64)]]
    lines_visit = np.r_[final_visit, extra_visit]
    if n_visits is None:
        n_visits = int(final_visit.max(initial=-1)) + 1
    receipts = build_receipts(lines_sku, lines_count, lines_visit, n_visits, n_skus)
    return final_sku, final_count, final_visit, receipts


def _shared_evidence(recognizer: Recognizer, world: World, batch: EventBatch) -> np.ndarray:
    """The recognizer's checked log-likelihoods of the batch: once per batch for every design
    fusing a recognizer of the same class with the same sharing key, each time for one whose
    class does not define its own `sharing_key` (a subclass may add settings or draw on its
    generator, which an inherited key would not see)."""
    cls = type(recognizer)
    key = recognizer.sharing_key() if "sharing_key" in vars(cls) else None
    if key is None:
        return check_evidence(recognizer, batch, recognizer.evidence(batch))
    objects, label = key
    signals = sorted(recognizer.signals)
    return once_per(
        (cls, world, batch.events, batch.hypotheses, *(batch.readings[s] for s in signals), *objects),
        ("evidence", *signals, label),
        lambda: check_evidence(recognizer, batch, recognizer.evidence(batch)),
    )
