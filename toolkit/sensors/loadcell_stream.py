"""Load-cell sample streams and the event detector that runs on them.

Each plate streams its load at `sample_hz`: the true load (a step of −Σ mᵢ wᵢ at every take or
put-back, reached through a damped settling transient), slow drift (a random walk), impulse
disturbances (a hand resting on the shelf, a basket bumping it: +a for a second or two), white
noise, ADC quantisation, dropped samples (NaN), and plates that are dead all day (all NaN).
Events from concurrent shoppers on one plate overlap in the stream.

Only the stretches of stream around activity are synthesised (windows of `window_pad_s` around
every interaction and disturbance, merged per plate): between them a plate reads a constant load
plus noise, on which the detector's false-alarm rate is negligible (see kalman.py), so nothing is
lost by not simulating it. The detector is kalman.py's level filter with a two-sided CUSUM; each
alarm becomes one event from the last quiet sample before it to the first quiet one after it, and
its weight change is the filtered level `settle_s` after the event minus the level before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from numba import njit
from pydantic import AfterValidator
from scipy.signal import lfilter

from toolkit.config import (
    NonNegative,
    Positive,
    Probability,
)
from toolkit.sensors.kalman import cusum_row, kalman_level_filter, level_filter_row
from toolkit.sensors.loadcell import LoadcellParams, true_weight_change
from toolkit.sensors.observations import (
    KEY_STRIDE_S,
    TRIGGER_LOADCELL,
    TRIGGER_PRESSURE,
    LoadcellReadings,
    ShelfEvents,
)
from toolkit.sensors.pressure import PressureParams
from toolkit.shoppers import EMPTY_REACH, GroundTruth
from toolkit.world import World

_CHUNK_WINDOWS = 1024


def _duration_range(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[0] > pair[1]:
        raise ValueError("expected [shortest, longest]")
    return pair


class StreamParams(LoadcellParams):
    """The plates' sample streams and the store's Kalman/CUSUM detector on them."""

    detector_noise_g: Positive
    transient_s: NonNegative
    level_q_g2: Positive
    cusum_k: NonNegative
    cusum_h: Positive
    settle_s: NonNegative
    settling_time_constant_s: Positive
    settling_oscillation_hz: NonNegative
    disturbances_per_plate_hour: NonNegative
    disturbance_median_g: NonNegative
    disturbance_duration_s: Annotated[tuple[Positive, Positive], AfterValidator(_duration_range)]
    p_dead_plate: Probability
    window_pad_s: Positive
    match_tolerance_s: Positive  # the judge's: how far in time an event may lie from its interaction


class LoadcellModel(StreamParams):
    """The `sensor.loadcell` section, every key checked when the comparison is planned: `stream`
    (sample streams and the store's detector) or `per_event` (the quick model: one noisy reading
    per weight-changing interaction)."""

    mode: Literal["stream", "per_event"]


@dataclass(frozen=True)
class StreamTruth:
    """Truth side, for detection metrics: every weight-changing interaction (plate, time, id), the
    span of each detected event, the dead plates and the shelf-hours watched."""

    move_plate: np.ndarray
    move_time_s: np.ndarray
    move_interaction: np.ndarray
    event_end_s: np.ndarray
    dead_plates: np.ndarray
    shelf_hours: float


def settling_kernel(params: StreamParams) -> np.ndarray:
    """Response minus the final step, sample by sample, of a unit load change: a damped oscillation."""
    hz = params.sample_hz
    tau = np.arange(int(np.ceil(6 * params.settling_time_constant_s * hz)) + 1) / hz
    omega = 2 * np.pi * params.settling_oscillation_hz
    return -np.exp(-tau / params.settling_time_constant_s) * np.cos(omega * tau)


def merge_windows(
    plate: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge overlapping [start, end) intervals per plate into windows: plate, start, end (sorted)."""
    order = np.lexsort((start, plate))
    plate, start, end = plate[order], start[order], end[order]
    reach = np.maximum.accumulate(plate * KEY_STRIDE_S + end)
    new = np.r_[True, plate[1:] * KEY_STRIDE_S + start[1:] > reach[:-1]] if plate.size else np.zeros(0, bool)
    heads = np.flatnonzero(new)
    w_end = np.maximum.reduceat(end, heads) if heads.size else end[:0]
    return plate[heads], start[heads], w_end


def simulate_streams_and_detect(
    world: World,
    truth: GroundTruth,
    params: StreamParams,
    rng: np.random.Generator,
    mat: PressureParams | None = None,
) -> tuple[ShelfEvents, LoadcellReadings, StreamTruth]:
    """Synthesise the plates' streams around activity and detect events in them, as the store's
    detector would. Which interaction each event came from is the judge's question
    (`toolkit.metrics.detection.link_events`).

    With a pressure `mat` under the plates, activity on a dead plate still makes an event when the
    mat's own signal triggers (`mat_trigger_events`), with no weight reading: the other
    recognizers decide it."""
    n_plates = world.planogram.n_plates
    moves = np.flatnonzero(truth.inter_kind != EMPTY_REACH)
    move_plate, move_time = truth.inter_plate[moves], truth.inter_time_s[moves]
    move_delta = true_weight_change(world, truth.inter_sku[moves], truth.inter_count[moves], rng)

    open_s = float(truth.visit_exit_s.max(initial=0.0) - truth.visit_arrival_s.min(initial=0.0))
    n_dist = rng.poisson(params.disturbances_per_plate_hour * open_s / 3600.0, n_plates)
    dist_plate = np.repeat(np.arange(n_plates), n_dist)
    dist_time = truth.visit_arrival_s.min(initial=0.0) + rng.uniform(0.0, open_s, dist_plate.size)
    dist_amp = params.disturbance_median_g * np.exp(0.5 * rng.standard_normal(dist_plate.size))
    dist_len = rng.uniform(*params.disturbance_duration_s, dist_plate.size)
    dead = rng.random(n_plates) < params.p_dead_plate

    pad = params.window_pad_s
    after = pad + params.settle_s
    w_plate, w_start, w_end = merge_windows(
        np.r_[move_plate, dist_plate],
        np.r_[move_time, dist_time] - pad,
        np.r_[move_time, dist_time + dist_len] + after,
    )
    # the ADC samples on its own clock: windows start on that grid, not at a true event time
    w_start = np.floor(w_start * params.sample_hz) / params.sample_hz
    # step impulses: (window, time, amount)
    imp_window = np.r_[
        _window_of(w_plate, w_start, move_plate, move_time),
        _window_of(w_plate, w_start, dist_plate, dist_time),
        _window_of(w_plate, w_start, dist_plate, dist_time),
    ]
    imp_time = np.r_[move_time, dist_time, dist_time + dist_len]
    imp_amount = np.r_[move_delta, dist_amp, -dist_amp]
    kernel = settling_kernel(params)

    events: list[tuple[np.ndarray, ...]] = []
    order = np.argsort(w_end - w_start, kind="stable")
    for chunk in np.array_split(order, max(1, int(np.ceil(order.size / _CHUNK_WINDOWS)))):
        if chunk.size:
            events.append(
                _detect_chunk(
                    chunk,
                    w_plate,
                    w_start,
                    w_end,
                    imp_window,
                    imp_time,
                    imp_amount,
                    kernel,
                    dead,
                    params,
                    rng,
                )
            )
    if events:
        plate, start, end, delta, var = (np.concatenate(parts) for parts in zip(*events, strict=True))
    else:
        plate = start = end = delta = var = np.zeros(0)
    keep = np.abs(delta) >= params.detect_threshold_g
    plate, start, end, delta, var = (
        plate[keep].astype(np.int64),
        start[keep],
        end[keep],
        delta[keep],
        var[keep],
    )
    # a rise undone by an equal fall: a pressing hand, or a put-back taken again at once; flagged,
    # not dropped (a design that sees hands can tell the two apart)
    transient = _transients(plate, start, delta, var, params.transient_s)
    if mat is not None:
        # the mat feels every load change on a dead plate: products moving, and hands pressing
        on_dead, pressed = dead[move_plate], dead[dist_plate]
        mat_plate, mat_time = mat_trigger_events(
            np.r_[move_plate[on_dead], dist_plate[pressed]],
            np.r_[move_time[on_dead], dist_time[pressed]],
            mat,
            rng,
        )
        plate = np.r_[plate, mat_plate]
        start = np.r_[start, mat_time]
        end = np.r_[end, mat_time + params.settle_s]
        delta = np.r_[delta, np.full(mat_plate.size, np.nan)]
        var = np.r_[var, np.full(mat_plate.size, np.nan)]
        transient = np.r_[transient, np.zeros(mat_plate.size, bool)]
    time_order = np.argsort(start, kind="stable")
    plate, start, end, delta, var, transient = (
        a[time_order] for a in (plate, start, end, delta, var, transient)
    )
    trigger = np.where(np.isnan(delta), TRIGGER_PRESSURE, TRIGGER_LOADCELL)
    shelf_events = ShelfEvents(
        time_s=start,
        shelf=world.planogram.plate_shelf[plate],
        plate=plate,
        trigger=trigger,
        transient=transient,
    )
    stream_truth = StreamTruth(
        move_plate, move_time, moves, end, dead, world.layout.n_shelves * open_s / 3600
    )
    return shelf_events, LoadcellReadings(delta_g=delta, variance_g2=var), stream_truth


def mat_trigger_events(
    plate: np.ndarray, time_s: np.ndarray, mat: PressureParams, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Events the pressure mat's own signal raises under dead plates (products moving and hands
    pressing alike: the mat cannot tell them apart): the mat is scanned at
    `trigger_hz`, sees a load change in the first scan after it (one more when the change falls
    late in the scan: debounce), misses it with probability `p_missing`, and cannot tell apart
    changes on one plate less than `trigger_merge_s` apart (they make one event)."""
    seen = rng.random(plate.size) >= mat.p_missing
    plate, time_s = plate[seen], time_s[seen]
    scan = np.ceil(time_s * mat.trigger_hz) + (rng.random(time_s.size) < 0.5)
    when = scan / mat.trigger_hz
    order = np.lexsort((when, plate))
    plate, when = plate[order], when[order]
    fresh = np.r_[True, (plate[1:] != plate[:-1]) | (np.diff(when) > mat.trigger_merge_s)]
    return plate[fresh[: plate.size]], when[fresh[: plate.size]]


def _window_of(w_plate: np.ndarray, w_start: np.ndarray, plate: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Index of the (merged, sorted) window holding each (plate, time)."""
    key = w_plate * KEY_STRIDE_S + w_start
    return np.searchsorted(key, plate * KEY_STRIDE_S + time, side="right") - 1


def _detect_chunk(
    chunk: np.ndarray,
    w_plate: np.ndarray,
    w_start: np.ndarray,
    w_end: np.ndarray,
    imp_window: np.ndarray,
    imp_time: np.ndarray,
    imp_amount: np.ndarray,
    kernel: np.ndarray,
    dead: np.ndarray,
    params: StreamParams,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    """Synthesise the streams of some windows, filter them, and return their detected events."""
    hz = params.sample_hz
    lengths = np.ceil((w_end[chunk] - w_start[chunk]) * hz).astype(np.int64) + 1
    n, width = chunk.size, int(lengths.max())
    row_of = np.full(w_plate.size, -1)
    row_of[chunk] = np.arange(n)
    mine = row_of[imp_window] >= 0
    rows = row_of[imp_window[mine]]
    cols = np.clip(np.round((imp_time[mine] - w_start[chunk][rows]) * hz).astype(np.int64), 0, width - 1)
    # (n, width) arrays are the memory of a store-day: each is built in place and freed once used
    impulses = np.zeros((n, width))
    np.add.at(impulses, (rows, cols), imp_amount[mine])
    z = lfilter(kernel, [1.0], impulses, axis=1)
    z += np.cumsum(impulses, axis=1)
    del impulses
    drift = rng.standard_normal((n, width))
    drift *= params.drift_g_per_s / np.sqrt(hz)
    z += np.cumsum(drift, axis=1, out=drift)
    del drift
    noise = rng.standard_normal((n, width))
    noise *= params.noise_g
    z += noise
    del noise
    if params.resolution_g > 0:
        z = np.round(z / params.resolution_g) * params.resolution_g
    beyond = np.arange(width)[None, :] >= lengths[:, None]
    z[(rng.random((n, width)) < params.p_dropout) | beyond | dead[w_plate[chunk]][:, None]] = np.nan

    # the detector is tuned for the shelf's nominal noise, not told the true noise of the day
    r = params.detector_noise_g**2 + params.resolution_g**2 / 12.0
    first = np.nan_to_num(z[:, 0], nan=0.0)
    track = kalman_level_filter(z, params.level_q_g2, r, first, r)
    u = track.innovation / np.sqrt(track.innovation_variance)
    level, variance = track.level, track.variance
    del track
    return _find_events(z, level, variance, u, lengths, r, params, w_plate[chunk], w_start[chunk])


def _find_events(
    z: np.ndarray,
    level: np.ndarray,
    variance: np.ndarray,
    u: np.ndarray,
    lengths: np.ndarray,
    r: float,
    params: StreamParams,
    plate: np.ndarray,
    origin_s: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Alarm, locate, re-settle, read: one event per row per pass, until no row alarms again.
    `level`, `variance` and the normalised innovations `u` are the level filter's, updated in place.

    Each pass runs the CUSUM from every row's resume point, takes the first alarm, dates the
    change at the last quiet sample before it, resets the level filter there (P large: the level
    jumps to the new load) and ends the event once the innovations stay calm; the weight change is
    the level `settle_s` after the end minus the level just before the change. Events come out
    pass by pass, rows in order within a pass.
    """
    hz = params.sample_hz
    row, n_pass, start, end, delta, var = _search_rows(
        np.ascontiguousarray(z, dtype=np.float64),
        level,
        variance,
        u,
        lengths.astype(np.int64),
        float(params.level_q_g2),
        float(r),
        float(params.cusum_k),
        float(params.cusum_h),
        round(params.settle_s * hz),
        max(1, round(0.1 * hz)),
    )
    order = np.lexsort((row, n_pass))
    row, start, end, delta, var = row[order], start[order], end[order], delta[order], var[order]
    return plate[row], origin_s[row] + start / hz, origin_s[row] + end / hz, delta, var


@njit(cache=True)
def _search_rows(
    z: np.ndarray,
    level: np.ndarray,
    variance: np.ndarray,
    u: np.ndarray,
    lengths: np.ndarray,
    q: float,
    r: float,
    k: float,
    h: float,
    settle: int,
    calm_run: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`_find_events`' passes, row by row, compiled: each row's events (row, pass, start and end
    sample, weight change, its variance). A row's passes see only its own samples, so taking
    them row by row computes each event as the all-rows passes did, number for number."""
    n, width = z.shape
    up, down = np.empty(width), np.empty(width)
    fit_level, fit_variance = np.empty(width), np.empty(width)
    fit_innovation, fit_innovation_variance = np.empty(width), np.empty(width)
    found = 0
    out_row = np.empty(n, np.int64)
    out_pass = np.empty(n, np.int64)
    out_start = np.empty(n, np.int64)
    out_end = np.empty(n, np.int64)
    out_delta = np.empty(n)
    out_var = np.empty(n)
    for row in range(n):
        length, resume, n_pass = lengths[row], 0, 0
        while resume < length:
            cusum_row(u[row], k, resume, up, down)
            at = -1
            for step in range(resume, length):
                if up[step] > h or down[step] > h:
                    at = step
                    break
            if at < 0:
                break
            start = resume
            for step in range(at - 1, resume - 1, -1):
                if up[step] == 0.0 and down[step] == 0.0:
                    start = step
                    break
            level_filter_row(
                z[row],
                q,
                r,
                level[row, 0],
                r,
                start,
                1e6 * r,
                fit_level,
                fit_variance,
                fit_innovation,
                fit_innovation_variance,
            )
            # the event ends at the first sample after the alarm that closes calm_run calm ones
            end, calm_for = length - 1, 0
            for step in range(width):
                new_u = fit_innovation[step] / np.sqrt(fit_innovation_variance[step])
                calm_for = calm_for + 1 if abs(new_u) < 3.0 else 0
                if step >= start:
                    u[row, step] = new_u
                if step > at and calm_for >= calm_run and end == length - 1 and step < length:
                    end = step
            read_at = min(end + settle, length - 1)
            before = max(start - 2, 0)
            if found == out_row.size:
                out_row, out_pass, out_start, out_end = (
                    _grown(out_row),
                    _grown(out_pass),
                    _grown(out_start),
                    _grown(out_end),
                )
                out_delta, out_var = _grown(out_delta), _grown(out_var)
            out_row[found], out_pass[found], out_start[found], out_end[found] = row, n_pass, start, end
            out_delta[found] = fit_level[read_at] - level[row, before]
            out_var[found] = fit_variance[read_at] + variance[row, before]
            found += 1
            level[row, start:] = fit_level[start:]
            variance[row, start:] = fit_variance[start:]
            resume, n_pass = read_at + 1, n_pass + 1
    return (
        out_row[:found],
        out_pass[:found],
        out_start[:found],
        out_end[:found],
        out_delta[:found],
        out_var[:found],
    )


@njit(cache=True)
def _grown(a: np.ndarray) -> np.ndarray:
    """`a` in an array twice its size (the rest unset)."""
    bigger = np.empty(2 * a.size + 1, a.dtype)
    bigger[: a.size] = a
    return bigger


def _transients(
    plate: np.ndarray, start: np.ndarray, delta: np.ndarray, var: np.ndarray, within_s: float
) -> np.ndarray:
    """Events that a pressing hand explains: a rise of the load undone by an equal fall on the same
    plate within `within_s` (both events are flagged; neither changes what leaves the shelf)."""
    order = np.lexsort((start, plate))
    p, t, d, v = plate[order], start[order], delta[order], var[order]
    nxt = np.r_[np.arange(1, p.size), p.size - 1] if p.size else np.zeros(0, dtype=np.int64)
    pair = (
        (p[nxt] == p)
        & (nxt != np.arange(p.size))
        & (t[nxt] - t <= within_s)
        & (d > 0)
        & (d[nxt] < 0)
        & (np.abs(d + d[nxt]) <= 3.0 * np.sqrt(v + v[nxt]) + 1e-9)
    )
    flagged = pair.copy()
    flagged[nxt[pair]] = True
    out = np.zeros(plate.size, dtype=bool)
    out[order] = flagged
    return out
