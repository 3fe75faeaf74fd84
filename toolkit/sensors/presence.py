"""Ceiling-camera presence, direct mode: who stands at the shelf when an event happens, and where.

The quick alternative to tracking (`sensor.presence.mode=direct`; `tracks` runs toolkit.tracking
on simulated detections): each shopper whose stop at the shelf spans the event is reported with a
noisy position along the shelf, as if tracking never lost anyone. The one who acted is at the plate
they reached into; the others stand where they stopped. Crowding makes attribution ambiguous
exactly when shoppers stand close together. The smart-shelf RFID design uses it too.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from toolkit.config import (
    NonNegative,
    Probability,
)
from toolkit.sensors.observations import Presence, ShelfEvents
from toolkit.sensors.walks import WalkParams
from toolkit.shoppers import GroundTruth
from toolkit.world import World

_SHELF_STRIDE_S = 1.0e6  # larger than a day in seconds: (shelf, time) sort key


class PresenceParams(WalkParams):
    """The `sensor.presence` section: `tracks` (person detections every frame, tracked from the
    door) or `direct` (a noisy position of each shopper at the shelf, no tracking)."""

    mode: Literal["tracks", "direct"]
    position_noise_m: NonNegative
    p_stop_seen: Probability


def observe_presence(
    world: World,
    truth: GroundTruth,
    events: ShelfEvents,
    event_interaction: np.ndarray,
    params: PresenceParams,
    rng: np.random.Generator,
) -> Presence:
    """Candidates (E, C) for each detected shelf event, padded with visit -1 and position NaN.
    `event_interaction` links events to the truth (-1: a false event)."""
    real = event_interaction >= 0
    safe = np.where(real, event_interaction, 0)
    when = np.where(real, truth.inter_time_s[safe], events.time_s)  # a false event: nobody reached
    actor = np.where(real, truth.inter_visit[safe], -1)
    return presence_at(world, truth, events.shelf, events.plate, when, actor, params, rng)


def presence_at(
    world: World,
    truth: GroundTruth,
    shelf: np.ndarray,
    plate: np.ndarray,
    when: np.ndarray,
    actor: np.ndarray,
    params: PresenceParams,
    rng: np.random.Generator,
) -> Presence:
    """Who the cameras see at `shelf` at time `when` (E,), where the visit `actor` (-1: nobody)
    reaches into `plate`; everyone else stands where they stopped."""
    key = truth.stop_shelf * _SHELF_STRIDE_S + truth.stop_start_s
    order = np.argsort(key, kind="stable")
    key = key[order]
    longest = float((truth.stop_end_s - truth.stop_start_s).max(initial=0.0))
    query = shelf * _SHELF_STRIDE_S + when
    hi = np.searchsorted(key, query, side="right")
    lo = np.searchsorted(key, query - longest, side="left")
    width = int((hi - lo).max(initial=0))
    idx = lo[:, None] + np.arange(width)
    inside = idx < hi[:, None]
    stop = order[np.minimum(idx, order.size - 1)]
    inside &= truth.stop_end_s[stop] >= when[:, None]
    visit = np.where(inside, truth.stop_visit[stop], -1)
    plate_pos = world.planogram.plate_offset_m[plate]
    position = np.where(visit == actor[:, None], plate_pos[:, None], truth.stop_stand_m[stop])
    position = position + params.position_noise_m * rng.standard_normal(position.shape)
    return Presence.packed(inside, visit, position)


def observe_stops(truth: GroundTruth, params: PresenceParams, rng: np.random.Generator) -> np.ndarray:
    """Which dwell stops the ceiling cameras saw (S,): each is missed with probability
    1 − p_stop_seen (blind spots, occlusion)."""
    return rng.random(truth.stop_visit.shape[0]) < params.p_stop_seen
