"""Virtual carts: what each shopper holds, from the system's own decisions, and the receipts.

A put-back is only plausible from a shopper who holds that item at that moment. The cart step
scores each (hypothesis, shopper) pair jointly:

    log p(h, v | obs) = log p(h | obs) + log p(v | positions) + log ε · [h puts back an item v does not hold]

then marginalises over shoppers for the decision and conditions on the decided hypothesis for the
attribution. Holdings are the net of the machine's own first-pass decisions (takes minus
put-backs, attributed by position), so this never looks at the truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numba import njit

from toolkit.hypotheses import FORM_MISPLACED, EventHypotheses
from toolkit.numerics import logsumexp
from toolkit.sensors.observations import KEY_STRIDE_S

_CHUNK_EVENTS = 512  # bounds the (events × shoppers × hypotheses) working set


@dataclass(frozen=True)
class CartLedger:
    """Net units each visit holds of each SKU, as a step function of time."""

    key: np.ndarray  # sorted (visit · n_skus + sku) · stride + time
    cumulative: np.ndarray  # net units up to and including each key; leading 0
    n_skus: int

    @classmethod
    def from_decisions(
        cls, visit: np.ndarray, sku: np.ndarray, count: np.ndarray, time_s: np.ndarray, n_skus: int
    ) -> CartLedger:
        take = (sku >= 0) & (count != 0) & (visit >= 0)[:, None]
        rows = np.broadcast_to(visit[:, None], sku.shape)[take]
        when = np.broadcast_to(time_s[:, None], sku.shape)[take]
        key = (rows * n_skus + sku[take]) * KEY_STRIDE_S + when
        order = np.argsort(key, kind="stable")
        return cls(key=key[order], cumulative=np.r_[0, np.cumsum(count[take][order])], n_skus=n_skus)

    def units_before(self, visit: np.ndarray, sku: np.ndarray, time_s: np.ndarray) -> np.ndarray:
        """Net units of `sku` that `visit` holds just before `time_s` (broadcast; -1 ids give 0)."""
        visit, sku, time_s = np.broadcast_arrays(visit, sku, time_s)
        units = np.empty(visit.shape, dtype=self.cumulative.dtype)
        _units_before(
            self.key,
            self.cumulative,
            self.n_skus,
            visit.ravel(),
            sku.ravel(),
            time_s.ravel(),
            units.reshape(-1),
        )
        return units


@njit(cache=True)
def _units_before(
    key: np.ndarray,
    cumulative: np.ndarray,
    n_skus: int,
    visit: np.ndarray,
    sku: np.ndarray,
    time_s: np.ndarray,
    units: np.ndarray,
) -> None:
    """Each query's cumulative units between its (visit, sku) group's first key and its time:
    the two searches of the ledger a query took, the second walked forward from the first (a
    group holds a visit's few decisions on one SKU; the day's fusion asks millions of these)."""
    for i in range(visit.size):
        if visit[i] < 0 or sku[i] < 0:
            units[i] = 0
            continue
        base = (visit[i] * n_skus + sku[i]) * KEY_STRIDE_S
        at = base + time_s[i]
        lo = np.searchsorted(key, base)
        if at >= base:
            hi = lo
            while hi < key.size and key[hi] < at:
                hi += 1
        else:  # a negative or NaN time: search the whole ledger, as numpy's searchsorted does
            hi = np.searchsorted(key, at)
        units[i] = cumulative[hi] - cumulative[lo]


def joint_cart_posterior(
    log_post: np.ndarray,
    hyps: EventHypotheses,
    attribution_log_p: np.ndarray,
    candidate_visit: np.ndarray,
    time_s: np.ndarray,
    ledger: CartLedger,
    epsilon: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cart-aware posterior over hypotheses (E, H), attributed visit (E,) and its probability (E,)."""
    n_events = log_post.shape[0]
    new_post = np.empty_like(log_post)
    visit = np.full(n_events, -1, dtype=np.int64)
    confidence = np.zeros(n_events)
    log_eps = np.log(epsilon)
    for rows, width in _by_candidate_columns(candidate_visit):
        cands = candidate_visit[rows, :width]
        sku, count = hyps.sku[rows], hyps.count[rows]
        # a candidate is penalised for a hypothesis one of whose put-back lines it does not hold:
        # the ledger is asked only about (put-back line, real candidate) pairs
        e_line, h_line, l_line = np.nonzero((sku >= 0) & (count < 0))
        pair_line, c_pair = np.nonzero(cands[e_line] >= 0)
        e, h = e_line[pair_line], h_line[pair_line]
        held = ledger.units_before(cands[e, c_pair], sku[e, h, l_line[pair_line]], time_s[rows][e]) > 0
        unheld = np.zeros((*cands.shape, sku.shape[1]), dtype=bool)
        unheld[e[~held], c_pair[~held], h[~held]] = True
        with np.errstate(invalid="ignore"):
            joint = (
                log_post[rows, None, :]
                + attribution_log_p[rows, :width, None]
                + np.where(unheld, log_eps, 0.0)
            )
        marginal = logsumexp(joint, axis=1)
        with np.errstate(invalid="ignore"):
            marginal = marginal - logsumexp(marginal, axis=1, keepdims=True)
        new_post[rows] = np.where(np.isfinite(marginal), marginal, log_post[rows])
        best = np.argmax(new_post[rows], axis=1)
        # summed over every column, as padded: numpy sums 8 or more along a row pairwise, so
        # dropping the padding there would change the order of the additions
        given = np.full((rows.size, candidate_visit.shape[1]), -np.inf)
        given[:, :width] = np.take_along_axis(joint, best[:, None, None], axis=2)[:, :, 0]
        with np.errstate(invalid="ignore"):
            given = given - logsumexp(given, axis=1, keepdims=True)
        pick = np.argmax(given, axis=1)
        chosen = np.take_along_axis(candidate_visit[rows], pick[:, None], 1)[:, 0]
        p = np.exp(np.take_along_axis(given, pick[:, None], 1)[:, 0])
        visit[rows] = chosen
        confidence[rows] = np.where((chosen >= 0) & np.isfinite(p), p, 0.0)
    return new_post, visit, confidence


def _by_candidate_columns(candidate_visit: np.ndarray) -> Iterator[tuple[np.ndarray, int]]:
    """Events in groups of at most `_CHUNK_EVENTS` with the candidate columns they need: up to
    their last shopper seen, or every column where nobody was seen (their attribution is uniform
    over the padding). Padding is trailing -1 with an attribution of -inf: the (events, shoppers,
    hypotheses) sums over shoppers add its exact zeros one after another, which changes nothing;
    the per-row sums over shoppers are taken over every column. Two thirds of a day's events
    have one shopper at the shelf: their working set is a fifth of the padded one, and each
    event's results are the bits the padded arrays gave."""
    seen = candidate_visit >= 0
    n_columns = candidate_visit.shape[1]
    width = np.where(seen.any(axis=1), n_columns - np.argmax(seen[:, ::-1], axis=1), n_columns)
    order = np.argsort(width, kind="stable")
    for w in np.unique(width):
        group = order[width[order] == w]
        for start in range(0, group.size, _CHUNK_EVENTS):
            yield group[start : start + _CHUNK_EVENTS], int(w)


def misplaced_floor(
    ledger: CartLedger,
    candidate_visit: np.ndarray,
    time_s: np.ndarray,
    shelf: np.ndarray,
    sku_shelf: np.ndarray,
) -> EventHypotheses:
    """The misplaced-item floor of each event (E, F): a put-back of one unit of an item that a
    shopper seen at the shelf holds at that moment and that is stocked on another shelf.

    A product from another shelf can only be put down by someone carrying it, so the floor holds
    the candidates' foreign holdings instead of every foreign SKU: it stays a few hypotheses wide
    however large the catalog."""
    n_events = time_s.shape[0]
    pair = np.unique(np.floor(ledger.key / KEY_STRIDE_S).astype(np.int64))
    pair_visit, pair_sku = pair // ledger.n_skus, pair % ledger.n_skus
    first = np.searchsorted(pair_visit, candidate_visit)
    count = np.searchsorted(pair_visit, candidate_visit, side="right") - first
    count = np.where(candidate_visit >= 0, count, 0)
    # one entry per (event, candidate, item the candidate has had): the ledger is asked only
    # about those
    event, column = np.nonzero(count > 0)
    per_pair = count[event, column]
    offset = np.arange(per_pair.sum()) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    event, column = np.repeat(event, per_pair), np.repeat(column, per_pair)
    sku = pair_sku[first[event, column] + offset]
    held = ledger.units_before(candidate_visit[event, column], sku, time_s[event]) > 0
    keep = held & (sku_shelf[sku] != shelf[event])
    event, sku = event[keep], sku[keep]
    # each event's SKUs once (held by two shoppers: once), largest first, padded with -1
    order = np.lexsort((-sku, event))
    event, sku = event[order], sku[order]
    fresh = np.ones(event.size, dtype=bool)
    fresh[1:] = (event[1:] != event[:-1]) | (sku[1:] != sku[:-1])
    event, sku = event[fresh], sku[fresh]
    rank = np.arange(event.size) - np.searchsorted(event, event)
    floor = np.full((n_events, int(rank.max(initial=-1)) + 1), -1, dtype=np.int64)
    floor[event, rank] = sku
    return _floor_hypotheses(floor)


def _floor_hypotheses(sku: np.ndarray) -> EventHypotheses:
    """Single put-backs of one unit of each listed SKU (E, F); -1 entries are padding."""
    valid = sku >= 0
    lines = np.stack([np.where(valid, sku, -1), np.full_like(sku, -1)], axis=-1)
    count = np.stack([np.where(valid, -1, 0), np.zeros_like(sku)], axis=-1)
    form = np.where(valid, FORM_MISPLACED, -1).astype(np.int8)
    return EventHypotheses(sku=lines, count=count, valid=valid, form=form)


def build_receipts(
    sku: np.ndarray, count: np.ndarray, visit: np.ndarray, n_visits: int, n_skus: int
) -> np.ndarray:
    """Virtual carts (V, n_skus): the sum of each visit's event lines, never below zero."""
    return np.maximum(cart_sums(sku, count, visit, n_visits, n_skus), 0)


def cart_sums(
    sku: np.ndarray, count: np.ndarray, visit: np.ndarray, n_visits: int, n_skus: int
) -> np.ndarray:
    """Net units (V, n_skus) of each visit's event lines (..., L) before the floor at zero:
    integers, so carts can be updated by the lines that change and floored again."""
    carts = np.zeros((n_visits, n_skus), dtype=np.int64)
    keep = (sku >= 0) & (visit >= 0)[:, None]
    rows = np.broadcast_to(visit[:, None], sku.shape)
    np.add.at(carts, (rows[keep], sku[keep]), count[keep])
    return carts
