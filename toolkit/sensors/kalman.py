"""Level tracking and change detection on load-cell streams, many streams at once.

The plate's load is a random-walk level observed in white noise: a 1-state Kalman filter (the
same model as filterpy's ``KalmanFilter(dim_x=1, dim_z=1)`` with F = H = 1), run on every stream
of a (streams, samples) array, sample by sample in numba-compiled code (a recursion in time
cannot be vectorised; the numpy loop over time steps it replaced gave the same numbers):

    x⁻ = x,  P⁻ = P + Q                       # predict: the level may wander by Q per sample
    S = P⁻ + R,  K = P⁻ / S,  ν = z − x⁻       # innovation and its variance
    x = x⁻ + K ν,  P = (1 − K) P⁻              # update (skipped where z is NaN: a dropped sample)

Changes are found by a two-sided CUSUM (Page 1954) on the normalised innovations u = ν / √S:

    g⁺ = max(0, g⁺ + u − k),   g⁻ = max(0, g⁻ − u − k),   alarm when either exceeds h

computed in closed form per stream as a Lindley recursion (g_t = S_t − min_{s≤t} S_s). On noise
alone u ~ N(0, 1); with k = 1.5 and h = 5 the in-control average run length is of the order of
10⁸ samples (Siegmund's approximation), i.e. well under one false alarm per plate-day at 60 Hz:
false events come from disturbances (a hand resting on the shelf), which the stream model makes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class LevelTrack:
    """Filtered level and its variance after each sample, the innovation and its variance: (N, T)."""

    level: np.ndarray
    variance: np.ndarray
    innovation: np.ndarray
    innovation_variance: np.ndarray


def kalman_level_filter(
    z: np.ndarray,
    q: float,
    r: float,
    x0: np.ndarray,
    p0: float,
    reset_at: np.ndarray | None = None,
    p_reset: float = 0.0,
) -> LevelTrack:
    """Run the random-walk level filter over every row of z (N, T); NaN samples are not updates.

    `reset_at` (N,) optionally names, per row, the sample before which P is set to `p_reset`: the
    detector's "a change happened" step, after which the level follows the new load at once.
    """
    n, t = z.shape
    track = LevelTrack(np.empty((n, t)), np.empty((n, t)), np.zeros((n, t)), np.empty((n, t)))
    _level_filter_rows(
        np.ascontiguousarray(z, dtype=np.float64),
        float(q),
        float(r),
        np.broadcast_to(np.asarray(x0, dtype=np.float64), (n,)).copy(),
        float(p0),
        np.full(n, -1, np.int64) if reset_at is None else np.asarray(reset_at, dtype=np.int64),
        float(p_reset),
        track.level,
        track.variance,
        track.innovation,
        track.innovation_variance,
    )
    return track


@njit(cache=True)
def _level_filter_rows(
    z: np.ndarray,
    q: float,
    r: float,
    x0: np.ndarray,
    p0: float,
    reset_at: np.ndarray,
    p_reset: float,
    level: np.ndarray,
    variance: np.ndarray,
    innovation: np.ndarray,
    innovation_variance: np.ndarray,
) -> None:
    """The filter of each row (`level_filter_row`), compiled."""
    for row in range(z.shape[0]):
        level_filter_row(
            z[row],
            q,
            r,
            x0[row],
            p0,
            reset_at[row],
            p_reset,
            level[row],
            variance[row],
            innovation[row],
            innovation_variance[row],
        )


@njit(cache=True)
def level_filter_row(
    z: np.ndarray,
    q: float,
    r: float,
    x0: float,
    p0: float,
    reset_at: int,
    p_reset: float,
    level: np.ndarray,
    variance: np.ndarray,
    innovation: np.ndarray,
    innovation_variance: np.ndarray,
) -> None:
    """One stream's filter, sample by sample, into the given rows (the same arithmetic as the
    equations above, no fused multiply-adds: the results of the vectorised numpy loop it
    replaced). A building block of compiled detectors."""
    x, p = x0, p0
    for step in range(z.size):
        if reset_at == step:
            p = p_reset
        p = p + q  # P⁻ = P + Q
        s = p + r  # S = P⁻ + R
        k = p / s  # K = P⁻ / S
        zt = z[step]
        nu = 0.0
        if not np.isnan(zt):
            nu = zt - x  # ν = z − x⁻
            x = x + k * nu  # x = x⁻ + K ν
            p = (1.0 - k) * p  # P = (1 − K) P⁻
        level[step], variance[step] = x, p
        innovation[step], innovation_variance[step] = nu, s


def cusum(u: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided CUSUM statistics (N, T) of normalised innovations, in closed form per row."""
    up, down = np.empty(u.shape), np.empty(u.shape)
    _cusum_rows(np.ascontiguousarray(u, dtype=np.float64), float(k), up, down)
    return up, down


@njit(cache=True)
def _cusum_rows(u: np.ndarray, k: float, up: np.ndarray, down: np.ndarray) -> None:
    """The statistics of each row (`cusum_row`), compiled."""
    for row in range(u.shape[0]):
        cusum_row(u[row], k, 0, up[row], down[row])


@njit(cache=True)
def cusum_row(u: np.ndarray, k: float, first: int, up: np.ndarray, down: np.ndarray) -> None:
    """One stream's Lindley recursion g_t = S_t − min(0, min_{s≤t} S_s), with u taken as 0 before
    sample `first`: the running sums and minima in the order numpy's cumsum and
    minimum.accumulate took. A building block of compiled detectors."""
    total_up = total_down = floor_up = floor_down = 0.0
    for step in range(u.size):
        ut = u[step] if step >= first else 0.0
        total_up += ut - k
        total_down += -ut - k
        floor_up = min(floor_up, total_up) if step else min(total_up, 0.0)
        floor_down = min(floor_down, total_down) if step else min(total_down, 0.0)
        up[step] = total_up - floor_up
        down[step] = total_down - floor_down
