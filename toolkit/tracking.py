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

Frame by frame, detections are assigned to tracks by the minimum-cost assignment (scipy's
``linear_sum_assignment``, compiled in ``toolkit.assignment``)
on the negative log-likelihood d²/S + 2 ln S (so a coasting track, whose S has grown, does not
win a detection a confident neighbour explains), with a χ² gate on d²/S. Unassigned detections
(clutter, or a shopper whose track went elsewhere) are dropped; a missed track coasts on its
prediction. The loop over frames is compiled with numba (over a million detections a second on
one core). Its predict fuses multiply-adds as OpenBLAS's dgemm did for the numpy loop it
replaced, so on the project machine the default day's tracks are bit-identical to that loop's;
ln S in the assignment cost comes from the C library, not numpy's SIMD log, and may differ in
the last bit, which matters only for an assignment within one rounding step of a tie.

This module reads observations only (detections, door scans, store geometry), never the truth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from toolkit.assignment import solve_wide
from toolkit.config import (
    Positive,
    Settings,
)
from toolkit.numerics import stable_order
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
        if self.sample_frame.size == 0 or visit.size == 0:
            return np.full((visit.size, 2), np.nan)
        first_row, last_row = self._rows_of(visit)
        row = first_row + frame - self.sample_frame[np.minimum(first_row, self.sample_frame.size - 1)]
        inside = (row >= first_row) & (row <= last_row)
        xy = self.sample_xy[np.clip(row, 0, self.sample_frame.size - 1)]
        return np.where(inside[:, None], xy, np.nan)

    def distance_at(self, visit: np.ndarray, frame: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """‖`position_at(visit, frame)` − xy‖ (N,), NaN where there is no track, in one compiled
        pass: the judge asks it of a day's every shopper-frame."""
        if self.sample_frame.size == 0 or visit.size == 0:
            return np.full(visit.size, np.nan)
        first_row, last_row = self._rows_of(visit)
        distance = np.empty(visit.size)
        _distances(first_row, last_row, frame, xy, self.sample_frame, self.sample_xy, distance)
        return distance

    def _rows_of(self, visit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and last row of each visit's track (an empty range for a visit without one), from
        a table over the ids rather than two searches per query."""
        lowest = min(int(visit.min()), int(self.sample_visit[0]))
        highest = max(int(visit.max()), int(self.sample_visit[-1]))
        bounds = np.searchsorted(self.sample_visit, np.arange(lowest, highest + 2))
        return bounds[visit - lowest], bounds[visit - lowest + 1] - 1


@njit(cache=True)
def _distances(
    first_row: np.ndarray,
    last_row: np.ndarray,
    frame: np.ndarray,
    xy: np.ndarray,
    track_frame: np.ndarray,
    track_xy: np.ndarray,
    distance: np.ndarray,
) -> None:
    """`Tracks.distance_at` per query: the arithmetic of np.linalg.norm(position_at − xy, axis=1)."""
    last_sample = track_frame.size - 1
    for i in range(frame.size):
        row = first_row[i] + frame[i] - track_frame[min(first_row[i], last_sample)]
        if first_row[i] <= row <= last_row[i]:
            dx, dy = track_xy[row, 0] - xy[i, 0], track_xy[row, 1] - xy[i, 1]
            distance[i] = np.sqrt(dx * dx + dy * dy)
        else:
            distance[i] = np.nan


def process_noise(dt: float, accel_noise_mps2: float) -> tuple[float, float, float]:
    """(q_xx, q_xv, q_vv) of a piecewise-white-acceleration model: filterpy's
    ``Q_discrete_white_noise(dim=2)`` written out (a test checks they are equal), so a store-day
    does not import filterpy (half a second)."""
    var = accel_noise_mps2**2
    return 0.25 * dt**4 * var, 0.5 * dt**3 * var, dt**2 * var


@intrinsic
def _fused_multiply_add(typingctx, a, b, c):
    """a·b + c rounded once (llvm.fma): as OpenBLAS's dgemm computed the numpy predict on FMA
    machines, and the same on every machine (software fma where the CPU has none)."""

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        fma = builder.module.declare_intrinsic("llvm.fma", [double], ir.FunctionType(double, [double] * 3))
        return builder.call(fma, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(cache=True)
def cv_predict(state: np.ndarray, dt: float, q: np.ndarray) -> None:
    """Predict every (A, 7) track state one frame ahead, in place (multiply-adds fused)."""
    for a in range(state.shape[0]):
        x, y, vx, vy, pxx, pxv, pvv = state[a]
        state[a, 0] = _fused_multiply_add(vx, dt, x)
        state[a, 1] = _fused_multiply_add(vy, dt, y)
        state[a, 4] = _fused_multiply_add(pvv, dt * dt, _fused_multiply_add(pxv, 2.0 * dt, pxx)) + q[0]
        state[a, 5] = _fused_multiply_add(pvv, dt, pxv) + q[1]
        state[a, 6] = pvv + q[2]


@njit(cache=True)
def cv_update(state: np.ndarray, z: np.ndarray, r: float) -> None:
    """Update one track state (7,) with its detection z (2,), in place."""
    s = state[4] + r
    kx, kv = state[4] / s, state[5] / s
    for axis in range(2):
        nu = z[axis] - state[axis]
        state[axis] += kx * nu
        state[2 + axis] += kv * nu
    state[6] -= kv * state[5]
    state[4] *= 1.0 - kx
    state[5] *= 1.0 - kx


@njit(cache=True)
def _pairwise_sum(values: np.ndarray) -> float:
    """numpy's summation order for a contiguous vector (eight accumulators, split above 128), so
    the appearance distance is the one ``np.sum`` gives."""
    n = values.size
    if n < 8:
        total = 0.0
        for i in range(n):
            total += values[i]
        return total
    if n <= 128:  # eight scalar accumulators: an array of them was an allocation per pair
        a0, a1, a2, a3, a4, a5, a6, a7 = (
            values[0],
            values[1],
            values[2],
            values[3],
            values[4],
            values[5],
            values[6],
            values[7],
        )
        i = 8
        while i < n - n % 8:
            a0 += values[i]
            a1 += values[i + 1]
            a2 += values[i + 2]
            a3 += values[i + 3]
            a4 += values[i + 4]
            a5 += values[i + 5]
            a6 += values[i + 6]
            a7 += values[i + 7]
            i += 8
        total = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
        for k in range(i, n):
            total += values[k]
        return total
    half = n // 2
    half -= half % 8
    return _pairwise_sum(values[:half]) + _pairwise_sum(values[half:])


@njit(cache=True)
def _assign(
    state: np.ndarray,
    look: np.ndarray,
    z: np.ndarray,
    seen_look: np.ndarray,
    r: float,
    look_var: float,
    gate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Track and detection indices of the gated minimum-NLL assignment on position and look.

    The cost matrix is written the way the solver takes it, as scipy's linear_sum_assignment
    would (tracks × detections, transposed where detections are fewer), and checked as it is
    written, rather than copied and checked afterwards."""
    n_tracks, n_dets = state.shape[0], z.shape[0]
    by_track = n_dets >= n_tracks
    cost = np.empty((n_tracks, n_dets)) if by_track else np.empty((n_dets, n_tracks))
    outside = np.empty((n_tracks, n_dets), np.bool_)
    square = np.empty(look.shape[1])
    for a in range(n_tracks):
        s = state[a, 4] + r
        log_term = 2.0 * np.log(s)
        for d in range(n_dets):
            d2 = ((z[d, 0] - state[a, 0]) ** 2 + (z[d, 1] - state[a, 1]) ** 2) / s
            outside[a, d] = d2 > gate
            if outside[a, d]:  # most pairs in a crowd: their look is never compared
                value = _UNASSIGNABLE
            else:
                for k in range(square.size):
                    square[k] = (seen_look[d, k] - look[a, k]) ** 2
                value = d2 + log_term + _pairwise_sum(square) / look_var
                if np.isnan(value) or value == -np.inf:
                    raise ValueError("matrix contains invalid numeric entries")
            if by_track:
                cost[a, d] = value
            else:
                cost[d, a] = value
    col_of_row = solve_wide(cost)
    rows = np.empty(col_of_row.size, np.int64)
    cols = np.empty(col_of_row.size, np.int64)
    n_pairs = 0
    for row in range(col_of_row.size):
        a, d = (row, col_of_row[row]) if by_track else (col_of_row[row], row)
        if not outside[a, d]:
            rows[n_pairs], cols[n_pairs] = a, d
            n_pairs += 1
    return rows[:n_pairs], cols[:n_pairs]


@njit(cache=True)
def _track_frames(
    det_xy: np.ndarray,
    det_look: np.ndarray,
    det_bounds: np.ndarray,
    begin: int,
    births: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    door_look: np.ndarray,
    row_of: np.ndarray,
    newborn: np.ndarray,
    dt: float,
    q: np.ndarray,
    r: float,
    look_var: float,
    gate: float,
    out: np.ndarray,
) -> None:
    """The frame loop: predict the tracks alive, start those scanned in, assign this frame's
    detections and update, write every estimate to `out`, end those the exit gate closed."""
    end = last.max()
    ids = np.empty(first.size, np.int64)
    state = np.empty((first.size, STATE_WIDTH))
    looks = np.empty((first.size, door_look.shape[1]))
    n_alive, n_born, frame = 0, 0, begin
    while frame <= end:
        if n_alive == 0:
            frame = max(frame, first[births[n_born]])
        else:
            cv_predict(state[:n_alive], dt, q)
        while n_born < births.size and first[births[n_born]] <= frame:
            ids[n_alive] = births[n_born]
            state[n_alive] = newborn
            looks[n_alive] = door_look[births[n_born]]
            n_alive += 1
            n_born += 1
        lo, hi = det_bounds[frame - begin], det_bounds[frame - begin + 1]
        if hi > lo:
            rows, cols = _assign(
                state[:n_alive], looks[:n_alive], det_xy[lo:hi], det_look[lo:hi], r, look_var, gate
            )
            for i in range(rows.size):
                cv_update(state[rows[i]], det_xy[lo + cols[i]], r)
        kept = 0
        for a in range(n_alive):
            out[row_of[ids[a]] + frame] = state[a, :2]
            if last[ids[a]] != frame:
                ids[kept], state[kept], looks[kept] = ids[a], state[a], looks[a]
                kept += 1
        n_alive = kept
        frame += 1


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
    r = params.measurement_noise_m**2
    newborn = np.r_[entry_xy, 0.0, 0.0, params.init_pos_std_m**2, 0.0, params.init_vel_std_mps**2]
    if scans.visit_arrival_s is None:
        raise ValueError("tracking needs the entry scan times (EntryScans.visit_arrival_s)")
    first, last = visit_frames(scans.visit_arrival_s, scans.visit_exit_s, hz)
    door_look = scans.visit_appearance
    if door_look is None:  # no door camera: track on position alone
        door_look = np.zeros((first.size, 0))
    per_visit = last - first + 1
    starts = np.cumsum(per_visit) - per_visit
    n_samples = int(per_visit.sum())
    sample_visit = np.repeat(np.arange(first.size), per_visit)
    sample_frame = first[sample_visit] + np.arange(n_samples) - starts[sample_visit]
    out = np.empty((n_samples, 2))
    if first.size:
        begin = int(first.min())
        det_bounds = np.searchsorted(detections.frame, np.arange(begin, int(last.max()) + 2))
        _track_frames(
            np.ascontiguousarray(detections.xy, dtype=np.float64),
            np.ascontiguousarray(detections.appearance[:, : door_look.shape[1]], dtype=np.float64),
            det_bounds,
            begin,
            np.argsort(first, kind="stable"),
            first,
            last,
            np.ascontiguousarray(door_look, dtype=np.float64),
            starts - first,  # out row of (visit, frame) = row_of[visit] + frame
            newborn,
            dt,
            np.array(process_noise(dt, params.accel_noise_mps2)),
            r,
            2.0 * params.appearance_noise**2,  # both views are noisy
            params.gate_chi2,
            out,
        )
    return Tracks(sample_visit=sample_visit, sample_frame=sample_frame, sample_xy=out, frame_hz=hz)


def presence_from_tracks(world: World, tracks: Tracks, events: ShelfEvents, zone_depth_m: float) -> Presence:
    """Who the tracks put in front of each event's shelf at the event's frame (`at_shelf`), and
    where along it: walkers passing by count, as they would for a camera system. Candidates
    (E, C) are padded with visit -1 and position NaN."""
    by_frame = stable_order(tracks.sample_frame)
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
