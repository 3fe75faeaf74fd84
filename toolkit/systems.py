"""A checkout design = recognizers + priors + decision policy; it turns observations into receipts.

Every system runs on the same observations of the same visits and produces one receipt per visit,
so every metric compares like with like. Systems see only observations; the human reviewer is an
opaque service handed in by the experiment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from toolkit.carts import CartLedger, build_receipts, joint_cart_posterior, misplaced_floor
from toolkit.config import ConfigError, choice, number, probability
from toolkit.fusion import (
    PriorSettings,
    attribute,
    attribution_log_probs,
    decide,
    history_log_lift,
    posterior,
    structural_log_prior,
)
from toolkit.hypotheses import EventHypotheses, HypothesisSpace, canonical_lines, join_hypotheses
from toolkit.recognizers.base import EventBatch, Recognizer
from toolkit.recognizers.rfid import RfidGateDecoder, RfidShelfDecoder
from toolkit.seeding import component_rng
from toolkit.sensors.observations import Observations, ShelfEvents
from toolkit.world import World

log = logging.getLogger(__name__)


class Reviewer(Protocol):
    def review(
        self,
        events: np.ndarray,
        proposed_sku: np.ndarray,
        proposed_count: np.ndarray,
        proposed_visit: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

    def extras(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class DecisionSettings:
    review_threshold: float
    attribution_threshold: float
    attribution_sigma_m: float

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], path: str) -> DecisionSettings:
        return cls(
            review_threshold=probability(cfg, "review_threshold", path),
            attribution_threshold=probability(cfg, "attribution_threshold", path),
            attribution_sigma_m=number(cfg, "attribution_sigma_m", path, low=0.0, low_open=True),
        )


@dataclass(frozen=True)
class SystemOutput:
    """Per detected event (E): the machine's MAP lines and confidence, attribution, review and the
    final lines after review; per visit: receipts (V, n_skus) in units. `visible` marks the events
    this design detects at all (without pressure mats, events only a mat triggered are unseen and
    decided as "nothing moved")."""

    visible: np.ndarray
    map_sku: np.ndarray
    map_count: np.ndarray
    confidence: np.ndarray
    fallback: np.ndarray
    attributed_visit: np.ndarray
    attribution_confidence: np.ndarray
    reviewed: np.ndarray
    final_sku: np.ndarray
    final_count: np.ndarray
    final_visit: np.ndarray
    receipts: np.ndarray


class CheckoutSystem:
    def __init__(
        self,
        name: str,
        recognizers: Mapping[str, Recognizer],
        weights: Mapping[str, float],
        prior: PriorSettings,
        decision: DecisionSettings,
    ) -> None:
        self.name = name
        self.recognizers = dict(recognizers)
        self.weights = dict(weights)
        self.prior = prior
        self.decision = decision

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

    def _evidence(self, batch: EventBatch) -> list[tuple[float, np.ndarray]]:
        """(β, log-likelihood (E, H)) of each recognizer on a batch."""
        return [(self.weights[n], r.evidence(batch).loglik) for n, r in self.recognizers.items()]

    def _posterior(
        self,
        world: World,
        hyps: EventHypotheses,
        evidence: list[tuple[float, np.ndarray]],
        shopper: np.ndarray | None,
        obs: Observations,
    ) -> tuple[np.ndarray, np.ndarray]:
        log_prior = structural_log_prior(hyps, world, self.prior)
        if shopper is not None:
            log_prior = log_prior + history_log_lift(hyps, shopper, obs.records, self.prior.kappa)
        return posterior(log_prior, evidence, hyps.valid)

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
        missing = self.signals - set(obs.signals)
        if missing:
            raise ConfigError(
                f"system.{self.name}: needs signals {sorted(missing)} that no configured sensor provides"
            )
        events = obs.events
        hyps = space.for_plates(events.plate)
        signals = {s: obs.signals[s] for s in self.signals}
        evidence = self._evidence(EventBatch(events=events, hypotheses=hyps, signals=signals))

        plate_pos = world.planogram.plate_offset_m[events.plate]
        if obs.presence is None:
            raise ConfigError(f"system.{self.name}: attribution needs the presence sensor")
        visit, attribution_conf = attribute(obs.presence, plate_pos, self.decision.attribution_sigma_m)
        shopper = None
        if self.prior.history:
            if obs.entry is None or obs.records is None:
                raise ConfigError(f"system.{self.name}.prior.history: needs entry scans and purchase records")
            shopper = np.where(visit >= 0, obs.entry.visit_shopper[np.maximum(visit, 0)], -1)
        log_post, fallback = self._posterior(world, hyps, evidence, shopper, obs)
        if space.misplaced_floor:
            # what each shopper carries, from this first pass, says which foreign items could be put down
            ledger = self._ledger(world, events, hyps, log_post, visit)
            floor = misplaced_floor(
                ledger, obs.presence.candidate_visit, events.time_s, events.shelf, world.planogram.sku_shelf
            )
            if floor.shape[1]:
                floor_evidence = self._evidence(EventBatch(events=events, hypotheses=floor, signals=signals))
                evidence = [
                    (weight, np.concatenate([loglik, more], axis=1))
                    for (weight, loglik), (_, more) in zip(evidence, floor_evidence, strict=True)
                ]
                hyps = join_hypotheses(hyps, floor)
                log_post, fallback = self._posterior(world, hyps, evidence, shopper, obs)
        rows = np.arange(events.n_events)
        if self.prior.cart:
            log_post, visit, attribution_conf = joint_cart_posterior(
                log_post,
                hyps,
                attribution_log_probs(obs.presence, plate_pos, self.decision.attribution_sigma_m),
                obs.presence.candidate_visit,
                events.time_s,
                self._ledger(world, events, hyps, log_post, visit),
                self.prior.cart_epsilon,
            )
        best, confidence, doubtful = decide(log_post, self.decision.review_threshold)

        map_sku, map_count = hyps.sku[rows, best], hyps.count[rows, best]
        visible = events.seen_by(self.signals)
        map_sku[~visible], map_count[~visible], visit = -1, 0, np.where(visible, visit, -1)
        reviewed = visible & (doubtful | fallback | (attribution_conf < self.decision.attribution_threshold))
        final_sku, final_count, final_visit = map_sku.copy(), map_count.copy(), visit.copy()
        sent = np.flatnonzero(reviewed)
        extra_visit = extra_sku = extra_count = np.zeros(0, dtype=np.int64)
        if sent.size:
            r_sku, r_count, r_visit = reviewer.review(sent, map_sku[sent], map_count[sent], visit[sent])
            final_sku[sent], final_count[sent], final_visit[sent] = r_sku, r_count, r_visit
            extra_visit, extra_sku, extra_count = reviewer.extras(sent)
        final_sku, final_count = canonical_lines(final_sku, final_count)
        n_visits = (
            obs.entry.visit_shopper.shape[0]
            if obs.entry is not None
            else int(final_visit.max(initial=-1)) + 1
        )
        # what review found beyond each event's main lines goes on the carts too
        lines_sku = np.r_[final_sku, np.c_[extra_sku, np.full(extra_sku.size, -1)]]
        lines_count = np.r_[final_count, np.c_[extra_count, np.zeros(extra_count.size, np.int64)]]
        lines_visit = np.r_[final_visit, extra_visit]
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
            receipts=build_receipts(lines_sku, lines_count, lines_visit, n_visits, world.catalog.n_skus),
        )


@dataclass(frozen=True)
class BasketOutput:
    """What a rule-based design produces: receipts (V, n_skus) and, where its sensor reports
    events (smart shelves), the visit each reported event was put down to."""

    receipts: np.ndarray
    event_visit: np.ndarray | None = None


class DecoderSystem:
    """A rule-based design that decodes receipts straight from its sensor (an RFID gate or smart
    shelves): no shelf-event hypotheses, no fusion, no review."""

    def __init__(self, name: str, decoder: RfidGateDecoder | RfidShelfDecoder) -> None:
        self.name = name
        self.decoder = decoder

    @property
    def signals(self) -> frozenset[str]:
        return self.decoder.signals

    @property
    def sensors(self) -> frozenset[str]:
        return self.decoder.sensors

    def prepare(self, world: World, seed: int) -> None:
        """Nothing to learn: the decoder is rule-based."""

    def run(
        self, world: World, space: HypothesisSpace, obs: Observations, reviewer: Reviewer
    ) -> BasketOutput:
        missing = self.signals - set(obs.signals)
        if missing or obs.entry is None:
            raise ConfigError(f"system.{self.name}: needs sensors {sorted(self.signals)} and entry scans")
        receipts, event_visit = self.decoder.decode(world, obs)
        return BasketOutput(receipts, event_visit)


SYSTEM_KINDS: dict[str, type | None] = {
    "fusion": None,
    "rfid_gate": RfidGateDecoder,
    "rfid_shelf": RfidShelfDecoder,
}


def _instantiate(node: Any, path: str) -> Any:
    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node, resolve=True)
    if not isinstance(node, dict) or "_target_" not in node:
        raise ConfigError(f"{path}: needs a _target_")
    try:
        built = instantiate(node)
    except Exception as err:
        cause = err
        while cause.__cause__ is not None and not isinstance(cause, ConfigError):
            cause = cause.__cause__
        if isinstance(cause, ConfigError):  # it names its own key: say that, in one line
            raise cause from err
        first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"{path}: cannot build {node.get('_target_')!r}: {first_line}") from err
    log.info("%s = %s", path, node["_target_"])
    return built


def build_systems(
    systems_cfg: Mapping[str, Any], recognizers_cfg: Mapping[str, Any]
) -> list[CheckoutSystem | DecoderSystem]:
    """Instantiate every configured system; each gets its own recognizer instances."""
    if not systems_cfg:
        raise ConfigError("system: no system selected; choose at least one, e.g. system=[weight_only]")
    systems: list[CheckoutSystem | DecoderSystem] = []
    for name, node in systems_cfg.items():
        path = f"system.{name}"
        kind = choice(str(node.get("kind", "fusion")), SYSTEM_KINDS, f"{path}.kind")
        decoder_cls = SYSTEM_KINDS[kind]
        if decoder_cls is not None:
            decoder = _instantiate(node.get("decoder"), f"{path}.decoder")
            if not isinstance(decoder, decoder_cls):
                raise ConfigError(
                    f"{path}.decoder: expected {decoder_cls.__name__}, got {type(decoder).__name__}"
                )
            systems.append(DecoderSystem(name, decoder))
            continue
        names = list(node.get("recognizers") or [])
        if not names or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{path}.recognizers: a list of at least one recognizer name, got {names!r}")
        beta_cfg = node.get("beta") or {}
        for rname in beta_cfg:
            choice(rname, names, f"{path}.beta")
        recognizers: dict[str, Recognizer] = {}
        weights: dict[str, float] = {}
        for rname in names:
            choice(rname, recognizers_cfg.keys(), f"{path}.recognizers")
            weights[rname] = number(beta_cfg, rname, f"{path}.beta", low=0.0) if rname in beta_cfg else 1.0
            recognizers[rname] = _instantiate(recognizers_cfg[rname], f"recognizer.{rname}")
        systems.append(
            CheckoutSystem(
                name=name,
                recognizers=recognizers,
                weights=weights,
                prior=PriorSettings.from_config(node.get("prior", {}), f"{path}.prior"),
                decision=DecisionSettings.from_config(node.get("decision", {}), f"{path}.decision"),
            )
        )
    return systems
