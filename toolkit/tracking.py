"""Multi-shopper tracking from anonymous ceiling-camera detections, and attribution of shelf events.

Each visit gets a track when its QR code is scanned at the door and loses it when the exit gate
sees it leave: identity comes only from that scan, so a track that swaps onto another shopper
carries the wrong cart from then on. Every track is a constant-velocity Kalman filter per floor
axis (the model of filterpy's ``KalmanFilter(dim_x=4, dim_z=2)`` with F = [[1, dt], [0, 1]] per
axis, Q from ``Q_discrete_white_noise`` and H picking the position; a test checks the two agree
step for step). Because x and y share F, Q, H and R, and a detection updates both, the two axes
share one 2×2 covariance, kept as (p_xx, p_xv, p_vv):

    predict:  x ← x + dt·v;  p_xx ← p_xx + 2dt·p_xv + dt²·p_vv + q_xx;  p_xv ← p_xv + dt·p_vv + q_xv;
              p_vv ← p_vv + q_vv
    update:   S = p_xx + r,  K = (p_xx, p_xv) / S,  ν = z − x
              x ← x + K_x ν,  v ← v + K_v ν,  p_xx ← (1 − K_x) p_xx,  p_xv ← (1 − K_x) p_xv,
              p_vv ← p_vv − K_v p_xv

Frame by frame, detections are assigned to tracks by ``scipy.optimize.linear_sum_assignment``
on the negative log-likelihood d²/S + 2 ln S (so a coasting track, whose S has grown, does not
win a detection a confident neighbour explains), with a χ² gate on d²/S. Unassigned detections
(clutter, or a shopper whose track went elsewhere) are dropped; a missed track coasts on its
prediction. The loop is over frames, vectorised over the tracks alive in each frame.

This module reads observations only (detections, door scans, store geometry), never the truth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from filterpy.common import Q_discrete_white_noise
from scipy.optimize import linear_sum_assignment

from toolkit.config import (
    Positive,
    Settings,
)
from toolkit.sensors.observations import (
    CameraDetections,
    EntryScans,
    Presence,
    ShelfEvents,
    visit_frames,
)
from toolkit.world import World

log = logging.getLogger(__name__)
_UNASSIGNABLE = 1.0e9
STATE_WIDTH = 7  # x, y, v_x, v_y, p_xx, p_xv, p_vv


class TrackerParams(Settings):
    config_path: ClassVar[str] = "tracking"

    accel_noise_mps2: Positive
    measurement_noise_m: Positive
    init_pos_std_m: Positive
    init_vel_std_mps: Positive
    gate_chi2: Positive
    appearance_noise: Positive
    zone_depth_m: Positive


@dataclass(frozen=True)
class Tracks:
    """Each visit's estimated floor position (N, 2) at every frame from its entry scan to its exit,
    visit-major: samples of visit v are contiguous, in frame order."""

    sample_visit: np.ndarray
    sample_frame: np.ndarray
    sample_xy: np.ndarray
    frame_hz: float

    def position_at(self, visit: np.ndarray, frame: np.ndarray) -> np.ndarray:
        """The track's estimate (N, 2) of each `visit` at `frame`; NaN where that visit had no
        track at that frame (before its entry scan, after the exit gate closed it)."""
        if self.sample_frame.size == 0:
            return np.full((visit.size, 2), np.nan)
        first_row = np.searchsorted(self.sample_visit, visit, side="left")
        last_row = np.searchsorted(self.sample_visit, visit, side="right") - 1
        row = first_row + frame - self.sample_frame[np.minimum(first_row, self.sample_frame.size - 1)]
        inside = (row >= first_row) & (row <= last_row)
        xy = self.sample_xy[np.clip(row, 0, self.sample_frame.size - 1)]
        return np.where(inside[:, None], xy, np.nan)


def process_noise(dt: float, accel_noise_mps2: float) -> tuple[float, float, float]:
    """(q_xx, q_xv, q_vv) of a piecewise-white-acceleration model, from filterpy."""
    q = Q_discrete_white_noise(dim=2, dt=dt, var=accel_noise_mps2**2)
    return float(q[0, 0]), float(q[0, 1]), float(q[1, 1])


def predict_step(dt: float, q: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The predict step as one linear map of the state rows: new = state @ M + c.

    A state row is (x, y, v_x, v_y, p_xx, p_xv, p_vv); the predict equations are linear in it."""
    m = np.eye(STATE_WIDTH)
    m[2, 0] = m[3, 1] = dt
    m[5, 4], m[6, 4] = 2.0 * dt, dt * dt
    m[6, 5] = dt
    c = np.zeros(STATE_WIDTH)
    c[4:] = q
    return m, c


def cv_predict(state: np.ndarray, step: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Predict every (A, 7) track state one frame ahead."""
    m, c = step
    return state @ m + c


def cv_update(state: np.ndarray, z: np.ndarray, r: float) -> np.ndarray:
    """Update (A, 7) track states with their detections z (A, 2)."""
    state = state.copy()
    s = state[:, 4] + r
    kx, kv = state[:, 4] / s, state[:, 5] / s
    nu = z - state[:, :2]
    state[:, :2] += kx[:, None] * nu
    state[:, 2:4] += kv[:, None] * nu
    state[:, 6] -= kv * state[:, 5]
    state[:, 4:6] *= (1.0 - kx)[:, None]
    return state


def _assign(
    state: np.ndarray,
    look: np.ndarray,
    z: np.ndarray,
    seen_look: np.ndarray,
    r: float,
    look_var: float,
    gate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Track and detection indices of the gated minimum-NLL assignment on position and look."""
    s = state[:, 4] + r
    d2 = ((z[None, :, :] - state[:, None, :2]) ** 2).sum(axis=2) / s[:, None]
    a2 = ((seen_look[None, :, :] - look[:, None, :]) ** 2).sum(axis=2) / look_var
    outside = d2 > gate
    cost = np.where(outside, _UNASSIGNABLE, d2 + 2.0 * np.log(s)[:, None] + a2)
    rows, cols = linear_sum_assignment(cost)
    keep = ~outside[rows, cols]
    return rows[keep], cols[keep]


def track_shoppers(
    detections: CameraDetections, scans: EntryScans, entry_xy: np.ndarray, params: TrackerParams
) -> Tracks:
    """Track every visit from its entry scan to its exit; returns its estimate at every frame."""
    usable = np.isfinite(detections.xy).all(axis=1) & np.isfinite(detections.appearance).all(axis=1)
    if not usable.all():  # a detector glitch (NaN or inf) is a missed detection, not a position
        log.warning("tracking: %d non-finite detections ignored", int((~usable).sum()))
        detections = CameraDetections(
            detections.frame[usable],
            detections.xy[usable],
            detections.appearance[usable],
            detections.frame_hz,
        )
    hz = detections.frame_hz
    dt = 1.0 / hz
    step = predict_step(dt, process_noise(dt, params.accel_noise_mps2))
    r = params.measurement_noise_m**2
    newborn = np.r_[entry_xy, 0.0, 0.0, params.init_pos_std_m**2, 0.0, params.init_vel_std_mps**2]
    if scans.visit_arrival_s is None:
        raise ValueError("tracking needs the entry scan times (EntryScans.visit_arrival_s)")
    first, last = visit_frames(scans.visit_arrival_s, scans.visit_exit_s, hz)
    door_look = scans.visit_appearance
    if door_look is None:  # no door camera: track on position alone
        door_look = np.zeros((first.size, 0))
    look_var = 2.0 * params.appearance_noise**2  # both views are noisy
    per_visit = last - first + 1
    starts = np.cumsum(per_visit) - per_visit
    n_samples = int(per_visit.sum())
    sample_visit = np.repeat(np.arange(first.size), per_visit)
    sample_frame = first[sample_visit] + np.arange(n_samples) - starts[sample_visit]
    out = np.empty((n_samples, 2))

    births = np.argsort(first, kind="stable")
    birth_frames = first[births].tolist()
    death_frames = set(last.tolist())
    row_of = starts - first  # out row of (visit, frame) = row_of[visit] + frame
    det_look = detections.appearance[:, : door_look.shape[1]]
    begin = birth_frames[0] if birth_frames else 0
    end = int(last.max(initial=-1))
    det_bounds = np.searchsorted(detections.frame, np.arange(begin, end + 2)).tolist()
    ids = np.zeros(0, np.int64)
    state, looks, rows_now = np.zeros((0, STATE_WIDTH)), door_look[:0], ids
    n_born, frame = 0, begin
    while frame <= end:
        if ids.size == 0:
            frame = max(frame, birth_frames[n_born])
        else:
            state = cv_predict(state, step)
        n_new = 0
        while n_born + n_new < len(birth_frames) and birth_frames[n_born + n_new] <= frame:
            n_new += 1
        if n_new:
            born = births[n_born : n_born + n_new]
            ids = np.r_[ids, born]
            state = np.r_[state, np.broadcast_to(newborn, (n_new, STATE_WIDTH))]
            looks, rows_now = door_look[ids], row_of[ids]
            n_born += n_new
        lo, hi = det_bounds[frame - begin], det_bounds[frame - begin + 1]
        if hi > lo:
            z = detections.xy[lo:hi]
            rows, cols = _assign(state, looks, z, det_look[lo:hi], r, look_var, params.gate_chi2)
            if rows.size:
                state[rows] = cv_update(state[rows], z[cols], r)
        out[rows_now + frame] = state[:, :2]
        if frame in death_frames:
            alive = last[ids] != frame
            ids, state = ids[alive], state[alive]
            looks, rows_now = door_look[ids], row_of[ids]
        frame += 1
    return Tracks(sample_visit=sample_visit, sample_frame=sample_frame, sample_xy=out, frame_hz=hz)


def presence_from_tracks(world: World, tracks: Tracks, events: ShelfEvents, zone_depth_m: float) -> Presence:
    """Who the tracks put in front of each event's shelf at the event's frame (`at_shelf`), and
    where along it: walkers passing by count, as they would for a camera system. Candidates
    (E, C) are padded with visit -1 and position NaN."""
    by_frame = np.argsort(tracks.sample_frame, kind="stable")
    frames = tracks.sample_frame[by_frame]
    query = np.rint(events.time_s * tracks.frame_hz).astype(np.int64)
    lo = np.searchsorted(frames, query, side="left")
    hi = np.searchsorted(frames, query, side="right")
    width = int((hi - lo).max(initial=0)) if by_frame.size else 0
    idx = lo[:, None] + np.arange(width)
    inside = idx < hi[:, None]
    sample = by_frame[np.minimum(idx, by_frame.size - 1)]
    near, along, depth = at_shelf(world, events.shelf[:, None], tracks.sample_xy[sample], zone_depth_m)
    return Presence.packed(inside & near, tracks.sample_visit[sample], along, depth)


def at_shelf(
    world: World, shelf: np.ndarray, xy: np.ndarray, zone_depth_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether floor positions xy (..., 2) stand in front of `shelf` (broadcast): within
    `zone_depth_m` of its front and over its length, padded by the same depth at the ends; their
    position along the shelf from its left end, and their distance back from its front (m)."""
    layout = world.layout
    length = layout.shelf_length_m[shelf]
    along = xy[..., 0] - (layout.shelf_xy[shelf, 0] - 0.5 * length)
    depth = layout.shelf_xy[shelf, 1] - xy[..., 1]
    near = (depth >= -0.1) & (depth <= zone_depth_m)
    near &= (along >= -zone_depth_m) & (along <= length + zone_depth_m)
    return near, along, depth
