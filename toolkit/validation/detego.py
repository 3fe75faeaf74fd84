"""The UHF RFID reader and link model against real read logs (Detego; Hasler et al., IEEE RFID 2019).

Data (`detego_rfid/dataset.zip`): 155,282 reads (time in ms, tag serial, RSSI in whole dBm) of 35
experiments in which one reader went past 7 or 8 panels of 10 tags each (2 rows of 5, 7.5 cm
between columns, 20 cm between rows: the positions in 2d.npy, 2d_asymmetric.npy, 3d.npy), one to
four laps per experiment, along a route ("walking") or at random. The logs read one panel after the
other: at any moment about one panel's tags are in the field, each for about the time it takes to
go from one panel to the next, and the read rate plateaus at ~155 reads/s from ~6 tags in the field.

Geometry assumed (the paper's text is not in the data; this is what the logs and positions show):
a handheld reader moves along a straight route past the panels in their numbered order (the order
the logs read them), panel centres `panel_spacing_m` apart (the mean distance between consecutive
panels of the three layouts), at the pace that covers one lap in the experiment's duration over its
laps. Each lap passes each panel at its own stand-off, `stand_off_m` + `stand_off_spread_m` x N(0, 1)
(like a shopper's line through the gate); each pass gives each tag a new dipole angle to the reader
(the gate's random orientation). No body is between the handheld and the panels, so body loss does
not enter and the data cannot constrain it. Random-motion experiments are simulated as walks (the
link sees a similar sequence of approaches). The stand-off and the reader's power are not in the
data, only the margin they leave: one `margin_offset_db` added to the gate's link budget stands for
reader power, antenna and cable gains, tag sensitivity and stand-off together (for an assumed
stand-off d' the same fit reads offset + 20 log10(d'/d)).

Model under test, reused as it is: `LinkBudget.margin_db` (free-space loss, polarisation, dipole
orientation, stacking of a panel's 10 tags) and `run_inventory` (Gen2 Q algorithm, the link
profile's slot timing, fading redrawn at every antenna dwell) with the gate's values
(configs/sensor/rfid_gate.yaml). Each 200 ms antenna dwell is one inventory in which a tag can be
read once; the real logs are binned alike (a tag-dwell's RSSI is its first read there). The reader
reports RSSI in dBm, the toolkit a forward margin in dB: a monostatic reader gets the backscatter
over the same path twice, so RSSI = `rssi_offset_dbm` + `rssi_slope` (2) x margin at the read
+ N(0, rssi_noise_db^2); the offset (the RSSI at the tag's power-up threshold) belongs to the reader
and is fitted for every model. The real reader re-reads tags while they are in its field: the
simulated one repeats each dwell's inventory for the whole dwell at the rate `run_inventory`
singulated its tags (reads/s = tags read / reader time spent).

Compared on experiments held out of the fit (every second of each group of repeats): reads per
second, the read rate in dwells with >= `saturated_tags` tags read (the real plateau: the Gen2
timing), the share of an experiment's tags seen, the share of tag-dwells read (time in the field),
the RSSI 10th/50th/90th percentiles, the RSSI change of a tag between consecutive dwells (what the
per-dwell fading predicts) and the spread of one tag's reads within a dwell (the RSSI noise). Rows
show the gate's defaults and the calibrated model.

Calibrated on the other experiments: `margin_offset_db`, `fading_sigma_db`, `stand_off_spread_m`
(geometry) by Nelder-Mead on chi-square of six statistics (share seen, tag-dwells read, RSSI
change, three RSSI percentiles) with common random numbers, the RSSI offset profiled out in closed
form, standard errors by Gauss-Newton; the RSSI noise from the spread within a dwell (moments, less
the whole-dBm rounding); the link profile chosen among `reader_profiles` by the plateau rate (one
number fixes one time per read, not Tari, BLF and Miller apart). Tolerances: twice the standard
error of a difference of two means of the held-out number of experiments with the real
between-experiment spread, floored at the reader's 1 dB RSSI step.
"""

from __future__ import annotations

import io
import logging
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from scipy import optimize, stats

from toolkit.config import AtLeastOne, ConfigError, Count, NonNegative, Positive, Real, Settings, Whole
from toolkit.figures import save
from toolkit.io import write_json_atomic
from toolkit.seeding import component_rng
from toolkit.sensors.rfid import LinkBudget, LinkProfile, run_inventory
from toolkit.validation.base import DataMissing, Row
from toolkit.world import MATERIALS

log = logging.getLogger(__name__)

ARCHIVE, READS = "dataset.zip", "dataset/dataset.csv"
LAYOUTS = {"2d": "dataset/2d.npy", "2da": "dataset/2d_asymmetric.npy", "3d": "dataset/3d.npy"}
TAGS_PER_PANEL, COLUMNS = 10, 5
SOURCE = "Hasler et al., IEEE RFID 2019 (Detego read logs, detego_rfid/dataset.zip)"
PLAIN = MATERIALS.index("plain")
RSSI_STEP_DB = 1.0  # the reader reports whole dBm
Free = Literal["margin_offset_db", "fading_sigma_db", "stand_off_spread_m"]
QUANTILES = {"rssi_p10": 0.10, "rssi_p50": 0.50, "rssi_p90": 0.90}
FITTED = ("share_seen", "coverage", "rssi_change", *QUANTILES)
PER_EXPERIMENT = ("share_seen", "coverage", "rssi_change", "reads_per_s", "saturated_reads_per_s")


class DetegoSettings(Settings):
    config_path: ClassVar[str] = "validation.detego"

    # the model under test: the gate's values (interpolated from sensor.rfid_gate in the YAML)
    link_budget: LinkBudget
    link_profile: LinkProfile
    q_initial: Annotated[Whole, Field(ge=0, le=15)]
    q_step: Annotated[Real, Field(ge=0.1, le=0.5)]
    antenna_dwell_s: Positive
    rssi_noise_db: NonNegative
    stand_off_spread_m: NonNegative
    # the geometry of the experiments
    stand_off_m: Positive
    min_distance_m: Positive
    panel_spacing_m: Positive
    tag_pitch_m: Positive
    row_pitch_m: Positive
    rssi_slope: Positive
    # the comparison
    saturated_tags: AtLeastOne
    holdout_every: Annotated[Whole, Field(ge=2)]
    fit: list[Free]
    reader_profiles: dict[str, LinkProfile]
    max_evaluations: AtLeastOne
    experiments: list[Count] | None = None  # a slice (experiment numbers); None: all 35
    seed: Whole

    @model_validator(mode="after")
    def _consistent(self) -> DetegoSettings:
        if len(set(self.fit)) != len(self.fit):
            raise ValueError(f"fit: a parameter is listed twice: {self.fit}")
        if not self.reader_profiles:
            raise ValueError("reader_profiles: needs at least one profile")
        if self.min_distance_m > self.stand_off_m:
            raise ValueError(f"min_distance_m: must be <= stand_off_m ({self.stand_off_m})")
        return self


@dataclass(frozen=True)
class Link:
    """What the data may constrain; `margin_offset_db` is added to the gate's link budget."""

    margin_offset_db: float
    fading_sigma_db: float
    stand_off_spread_m: float
    rssi_offset_dbm: float
    rssi_noise_db: float


@dataclass(frozen=True)
class Experiment:
    number: int
    group: int
    setup: str
    motion: str
    laps: int
    n_tags: int
    duration_s: float
    ms: np.ndarray  # the reads of panel tags, in time order
    serial: np.ndarray
    rssi: np.ndarray


def load_experiments(folder: Path, only: Sequence[int] | None = None) -> list[Experiment]:
    """The experiments' reads of panel tags (10 per panel; other serials are dropped)."""
    path = folder / ARCHIVE
    if not path.is_file():
        raise DataMissing(f"{path}: missing")
    with zipfile.ZipFile(path) as archive:
        reads = pd.read_csv(io.BytesIO(archive.read(READS)))
        panels = {
            s: np.load(io.BytesIO(archive.read(p))).shape[0] // TAGS_PER_PANEL for s, p in LAYOUTS.items()
        }
    if only is not None:
        unknown = sorted(set(only) - set(reads.experiment_nr.unique()))
        if unknown:
            raise ConfigError(f"validation.detego.experiments: no experiment {unknown} in {path}")
        reads = reads[reads.experiment_nr.isin(only)]
    out = []
    for number, rows in reads.groupby("experiment_nr", sort=True):
        first = rows.iloc[0]
        n_tags = panels[str(first.setup)] * TAGS_PER_PANEL
        rows = rows[rows.serial < n_tags].sort_values("milliseconds", kind="stable")
        out.append(
            Experiment(
                number=int(number),
                group=int(first.group),
                setup=str(first.setup),
                motion=str(first.experiment),
                laps=int(first.iterations),
                n_tags=n_tags,
                duration_s=(int(rows.milliseconds.max()) + 1) / 1000.0,
                ms=rows.milliseconds.to_numpy(np.int64),
                serial=rows.serial.to_numpy(np.int64),
                rssi=rows.rssi.to_numpy(float),
            )
        )
    return out


def split(experiments: Sequence[Experiment], every: int) -> tuple[list[Experiment], list[Experiment]]:
    """(fit, held out): in each group of repeats (by number), every `every`-th is held out."""
    fit: list[Experiment] = []
    held: list[Experiment] = []
    for group in sorted({e.group for e in experiments}):
        members = sorted((e for e in experiments if e.group == group), key=lambda e: e.number)
        for i, e in enumerate(members):
            (held if i % every == every - 1 else fit).append(e)
    return fit, held


class Scene:
    """Every (dwell, tag) of some experiments, flat, experiment by experiment, dwell-major; the
    geometry's and the shortcut's random draws are fixed per experiment number and `stream`
    (common random numbers for every model evaluated on the scene)."""

    def __init__(self, experiments: Sequence[Experiment], s: DetegoSettings, stream: str) -> None:
        self.experiments = list(experiments)
        self.settings = s
        self.dwell_s = s.antenna_dwell_s
        chunks: dict[str, list[np.ndarray]] = {
            k: [] for k in ("exp", "dwell", "tag", "gap", "height", "cos", "z_stand", "z_fade", "z_noise")
        }
        n_dwells = []
        for index, e in enumerate(self.experiments):
            rng = component_rng(s.seed, "validation", "detego", stream, str(e.number))
            n_panels = e.n_tags // TAGS_PER_PANEL
            n = math.ceil(e.duration_s / s.antenna_dwell_s)
            t = (np.arange(n) + 0.5) * s.antenna_dwell_s  # the dwell's middle
            lap_s = e.duration_s / e.laps
            lap = np.minimum(t // lap_s, e.laps - 1).astype(np.int64)
            reader = (t - lap * lap_s) / lap_s * n_panels * s.panel_spacing_m  # along the route
            tag = np.arange(e.n_tags)
            panel = tag // TAGS_PER_PANEL
            along = (panel + 0.5) * s.panel_spacing_m + (tag % COLUMNS - (COLUMNS - 1) / 2) * s.tag_pitch_m
            height = ((tag % TAGS_PER_PANEL) // COLUMNS - 0.5) * s.row_pitch_m
            z_stand = rng.standard_normal((e.laps, n_panels))  # each pass of a panel: its stand-off
            cos = rng.uniform(-1.0, 1.0, (e.laps, e.n_tags))  # each pass of a tag: its dipole angle
            chunks["exp"].append(np.full(n * e.n_tags, index))
            chunks["dwell"].append(np.repeat(np.arange(n), e.n_tags))
            chunks["tag"].append(np.tile(tag, n))
            chunks["gap"].append((reader[:, None] - along[None, :]).ravel())
            chunks["height"].append(np.tile(height, n))
            chunks["cos"].append(cos[lap[:, None], tag[None, :]].ravel())
            chunks["z_stand"].append(z_stand[lap[:, None], panel[None, :]].ravel())
            chunks["z_fade"].append(rng.standard_normal(n * e.n_tags))
            chunks["z_noise"].append(rng.standard_normal(n * e.n_tags))
            n_dwells.append(n)
        flat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in chunks.items()}
        self.exp = flat["exp"].astype(np.int64)
        self.dwell = flat["dwell"].astype(np.int64)
        self.tag = flat["tag"].astype(np.int64)
        self.gap, self.height, self.cos = flat["gap"], flat["height"], flat["cos"]
        self.z_stand, self.z_fade, self.z_noise = flat["z_stand"], flat["z_fade"], flat["z_noise"]
        self.n_tags = np.array([e.n_tags for e in self.experiments], dtype=np.int64)
        self.n_dwells = np.array(n_dwells, dtype=np.int64)
        self.offset = np.r_[0, np.cumsum(self.n_dwells * self.n_tags)[:-1]].astype(np.int64)
        self.session_offset = np.r_[0, np.cumsum(self.n_dwells)[:-1]].astype(np.int64)
        self.n_sessions = int(self.n_dwells.sum())
        self.session = self.session_offset[self.exp] + self.dwell  # one inventory per dwell
        self.session_exp = np.repeat(np.arange(len(self.experiments)), self.n_dwells)
        index = np.arange(self.exp.size)  # the same tag in the next dwell (-1 after the last)
        self.next = np.where(self.dwell < self.n_dwells[self.exp] - 1, index + self.n_tags[self.exp], -1)
        self._margin: tuple[float, np.ndarray] | None = None

    def margin_db(self, spread_m: float) -> np.ndarray:
        """The gate's link budget in this geometry: mean margin above the tag's sensitivity (dB)."""
        if self._margin is None or self._margin[0] != spread_m:
            s = self.settings
            stand = np.maximum(s.stand_off_m + spread_m * self.z_stand, s.min_distance_m)
            n = self.gap.size
            margin = s.link_budget.margin_db(
                np.sqrt(self.gap**2 + stand**2 + self.height**2),
                np.full(n, PLAIN),
                self.cos,
                np.zeros(n, dtype=bool),  # no body between the handheld and the panels
                np.full(n, TAGS_PER_PANEL),  # stacking: a panel's tags
            )
            self._margin = (spread_m, margin)
        return self._margin[1]


@dataclass(frozen=True)
class TagDwells:
    """What a reader saw in a scene: per (dwell, tag), read or not and the RSSI of its first read;
    per dwell, reads (for reads per second); per experiment, the summed squared deviation of the
    reads within a tag-dwell from their mean, and its degrees of freedom."""

    read: np.ndarray
    rssi: np.ndarray
    dwell_reads: np.ndarray
    within_ss: np.ndarray
    within_dof: np.ndarray


def real_tag_dwells(scene: Scene) -> TagDwells:
    n = scene.gap.size
    first = np.full(n, np.nan)
    total, square, count = np.zeros(n), np.zeros(n), np.zeros(n)
    dwell_reads = np.zeros(scene.n_sessions)
    for index, e in enumerate(scene.experiments):
        dwell = np.minimum(e.ms // round(scene.dwell_s * 1000), scene.n_dwells[index] - 1)
        entry = scene.offset[index] + dwell * e.n_tags + e.serial
        np.add.at(total, entry, e.rssi)
        np.add.at(square, entry, e.rssi**2)
        np.add.at(count, entry, 1.0)
        np.add.at(dwell_reads, scene.session_offset[index] + dwell, 1.0)
        unique, at = np.unique(entry, return_index=True)  # reads are in time order
        first[unique] = e.rssi[at]
    several = count >= 2
    deviation = np.where(several, square - total**2 / np.maximum(count, 1.0), 0.0)
    n_exp = len(scene.experiments)
    return TagDwells(
        count > 0,
        first,
        dwell_reads,
        np.bincount(scene.exp, deviation, minlength=n_exp),
        np.bincount(scene.exp, np.where(several, count - 1.0, 0.0), minlength=n_exp),
    )


def simulate(scene: Scene, link: Link, profile: LinkProfile, stream: str) -> TagDwells:
    """The toolkit's reader in the scene: one Gen2 inventory (`run_inventory`) per antenna dwell
    with fading redrawn per dwell; RSSI from the forward margin at the read."""
    s = scene.settings
    result = run_inventory(
        scene.session,
        scene.margin_db(link.stand_off_spread_m) + link.margin_offset_db,
        np.full(scene.n_sessions, s.antenna_dwell_s),
        profile,
        link.fading_sigma_db,
        s.antenna_dwell_s,
        s.q_initial,
        s.q_step,
        component_rng(s.seed, "validation", "detego", stream, "inventory"),
    )
    rssi = link.rssi_offset_dbm + s.rssi_slope * result.read_margin_db + link.rssi_noise_db * scene.z_noise
    n_read = np.bincount(scene.session, result.read, minlength=scene.n_sessions).astype(float)
    busy = result.busy_s
    # the reader keeps inventorying while tags answer: the dwell's inventory, repeated for the
    # whole dwell at the rate it singulated them
    repeated = np.divide(n_read * s.antenna_dwell_s, busy, out=np.zeros_like(busy), where=busy > 0)
    n_exp = len(scene.experiments)
    return TagDwells(
        result.read, np.where(result.read, rssi, np.nan), repeated, np.full(n_exp, np.nan), np.zeros(n_exp)
    )


def powered(scene: Scene, link: Link) -> TagDwells:
    """The fit's shortcut of `simulate`: a tag is read in a dwell when its margin plus the dwell's
    fade is >= 0 (run_inventory's test; a 200 ms dwell has time to read every powered tag at the
    fitted margins), with fixed normal draws (common random numbers across evaluations)."""
    s = scene.settings
    fwd = (
        scene.margin_db(link.stand_off_spread_m) + link.margin_offset_db + link.fading_sigma_db * scene.z_fade
    )
    read = fwd >= 0.0
    rssi = link.rssi_offset_dbm + s.rssi_slope * fwd + link.rssi_noise_db * scene.z_noise
    n_exp = len(scene.experiments)
    reads = np.bincount(scene.session, read, minlength=scene.n_sessions).astype(float)
    return TagDwells(read, np.where(read, rssi, np.nan), reads, np.full(n_exp, np.nan), np.zeros(n_exp))


def _share_seen(scene: Scene, read: np.ndarray) -> np.ndarray:
    seen = np.unique(scene.exp[read] * scene.n_tags.max(initial=1) + scene.tag[read])
    return np.bincount(seen // scene.n_tags.max(initial=1), minlength=len(scene.experiments)) / scene.n_tags


def _coverage(scene: Scene, read: np.ndarray) -> np.ndarray:
    return np.bincount(scene.exp, read, minlength=len(scene.experiments)) / (scene.n_tags * scene.n_dwells)


def _changes(scene: Scene, seen: TagDwells) -> tuple[np.ndarray, np.ndarray]:
    """RSSI change of each tag read in two consecutive dwells, and its experiment."""
    pair = seen.read & (scene.next >= 0)
    pair[pair] = seen.read[scene.next[pair]]
    return seen.rssi[scene.next[pair]] - seen.rssi[pair], scene.exp[pair]


def _change_rms(scene: Scene, seen: TagDwells) -> np.ndarray:
    change, exp = _changes(scene, seen)
    n_exp = len(scene.experiments)
    pairs = np.bincount(exp, minlength=n_exp)
    return np.where(
        pairs > 0, np.sqrt(np.bincount(exp, change**2, minlength=n_exp) / np.maximum(pairs, 1)), np.nan
    )


def per_experiment(scene: Scene, seen: TagDwells, saturated_tags: int) -> pd.DataFrame:
    """One row of statistics per experiment."""
    n_exp = len(scene.experiments)
    tags_read = np.bincount(scene.session, seen.read, minlength=scene.n_sessions)
    full = tags_read >= saturated_tags
    full_time = np.bincount(scene.session_exp[full], minlength=n_exp) * scene.dwell_s
    full_reads = np.bincount(scene.session_exp[full], seen.dwell_reads[full], minlength=n_exp)
    durations = np.array([e.duration_s for e in scene.experiments])
    frame = pd.DataFrame(
        {
            "experiment": [e.number for e in scene.experiments],
            "setup": [e.setup for e in scene.experiments],
            "share_seen": _share_seen(scene, seen.read),
            "coverage": _coverage(scene, seen.read),
            "rssi_change": _change_rms(scene, seen),
            "reads_per_s": np.bincount(scene.session_exp, seen.dwell_reads, minlength=n_exp) / durations,
            "saturated_reads_per_s": np.where(
                full_time > 0, full_reads / np.maximum(full_time, 1e-12), np.nan
            ),
            "within_sd": np.sqrt(seen.within_ss / np.maximum(seen.within_dof, 1.0)),
        }
    )
    for name, q in QUANTILES.items():
        values = [seen.rssi[(scene.exp == i) & seen.read] for i in range(n_exp)]
        frame[name] = [np.quantile(v, q) if v.size else np.nan for v in values]
    return frame


def summary(scene: Scene, seen: TagDwells, saturated_tags: int) -> tuple[pd.Series, pd.Series]:
    """Statistics of a set of experiments and their standard errors (the spread between the
    experiments over the square root of their number): means over experiments; RSSI percentiles
    of all read tag-dwells pooled; the RSSI spread within a dwell pooled."""
    per = per_experiment(scene, seen, saturated_tags)
    value: dict[str, float] = {}
    error: dict[str, float] = {}

    def standard_error(column: pd.Series) -> float:
        column = column.dropna()
        return float(column.std(ddof=1)) / math.sqrt(len(column)) if len(column) > 1 else math.nan

    for name in PER_EXPERIMENT:
        value[name] = float(per[name].mean())
        error[name] = standard_error(per[name])
    rssi = seen.rssi[seen.read]
    for name, q in QUANTILES.items():
        value[name] = float(np.quantile(rssi, q)) if rssi.size else math.nan
        error[name] = standard_error(per[name])
    dof = float(seen.within_dof.sum())
    value["within_sd"] = math.sqrt(float(seen.within_ss.sum()) / dof) if dof > 0 else math.nan
    error["within_sd"] = standard_error(per.within_sd)
    return pd.Series(value), pd.Series(error)


def _fitted_statistics(scene: Scene, link: Link) -> np.ndarray:
    """FITTED of the shortcut, as `summary` computes them (without the rest)."""
    seen = powered(scene, link)
    rssi = seen.rssi[seen.read]
    quantiles = np.quantile(rssi, list(QUANTILES.values())) if rssi.size else np.full(len(QUANTILES), np.nan)
    change = _change_rms(scene, seen)
    change = change[np.isfinite(change)]  # experiments with no tag read twice in a row: none
    return np.array(
        [
            _share_seen(scene, seen.read).mean(),
            _coverage(scene, seen.read).mean(),
            change.mean() if change.size else np.nan,
            *quantiles,
        ]
    )


def fit_scale(stderr: pd.Series) -> np.ndarray:
    """The standard error of (simulated - real) for FITTED: sqrt(2) x the real one (the simulated
    experiments are as many), an RSSI percentile never below the whole-dBm rounding's 1/sqrt(12) dB."""
    floor = np.array([RSSI_STEP_DB / math.sqrt(12.0) if n in QUANTILES else 1e-3 for n in FITTED])
    return math.sqrt(2.0) * np.maximum(
        np.nan_to_num(np.array(stderr[list(FITTED)], dtype=float), nan=0.0), floor
    )


@dataclass(frozen=True)
class Fit:
    """A calibrated link: its values, standard errors (Gauss-Newton; NaN where the statistics do
    not constrain a value), correlations, chi-square and residuals (in standard errors) on the fit."""

    link: Link
    stderr: dict[str, float]
    correlation: pd.DataFrame
    chi2: float
    dof: int
    residuals: dict[str, float]
    evaluations: int

    def record(self) -> dict[str, Any]:
        return {
            "values": {f.name: getattr(self.link, f.name) for f in fields(Link)},
            "stderr": self.stderr,
            "correlation": self.correlation.round(3).to_dict(),
            "fit_chi2": self.chi2,
            "fit_dof": self.dof,
            "fit_residuals_in_se": self.residuals,
            "evaluations": self.evaluations,
        }


def _with(link: Link, names: Sequence[str], x: np.ndarray) -> Link:
    values = {n: float(v) for n, v in zip(names, x, strict=True)}
    for name in ("fading_sigma_db", "stand_off_spread_m"):
        if name in values:
            values[name] = abs(values[name])  # symmetric in the sign: the search stays in the domain
    return replace(link, **values)


STEPS = {"margin_offset_db": 0.5, "fading_sigma_db": 0.25, "stand_off_spread_m": 0.05, "rssi_offset_dbm": 0.5}


def calibrate(
    scene: Scene, real: pd.Series, stderr: pd.Series, start: Link, names: Sequence[str], budget: int
) -> Fit:
    """Fit `names` and the RSSI offset to the real FITTED of the scene's experiments: Nelder-Mead
    on chi-square = sum(((sim - real) / fit_scale)^2), the offset profiled out (it only moves the
    RSSI percentiles), from the best point of a coarse grid of margin offset and fading (the
    defaults may sit in another basin: everything read, or reads only on fading peaks)."""
    target = np.array(real[list(FITTED)], dtype=float)
    scale = fit_scale(stderr)
    quantile = np.array([n in QUANTILES for n in FITTED])
    weight = 1.0 / scale[quantile] ** 2
    evaluations = 0

    def predicted(link: Link) -> tuple[np.ndarray, float]:
        nonlocal evaluations
        evaluations += 1
        values = _fitted_statistics(scene, replace(link, rssi_offset_dbm=0.0))
        offset = float(np.sum(weight * (target[quantile] - values[quantile])) / weight.sum())
        values[quantile] += offset
        return np.nan_to_num(values, nan=-1e3), offset

    def chi2(x: np.ndarray) -> float:
        values, _ = predicted(_with(start, names, x))
        return float(np.sum(((values - target) / scale) ** 2))

    x = np.array([getattr(start, n) for n in names], dtype=float)
    if names:
        axes = {
            "margin_offset_db": np.arange(-40.0, 0.0 + 1e-9, 2.5),
            "fading_sigma_db": (0.5, 1.0, 2.0, 4.0),
        }
        grid = np.array(
            np.meshgrid(*[axes.get(n, (v,)) for n, v in zip(names, x, strict=True)], indexing="ij")
        )
        points = grid.reshape(len(names), -1).T
        x = points[int(np.argmin([chi2(p) for p in points]))]
        simplex_steps = {"margin_offset_db": 3.0, "fading_sigma_db": 1.0, "stand_off_spread_m": 0.1}
        simplex = np.vstack([x, *(x + np.eye(x.size)[k] * simplex_steps[n] for k, n in enumerate(names))])
        found = optimize.minimize(
            chi2,
            x,
            method="Nelder-Mead",
            options={"initial_simplex": simplex, "maxfev": budget, "xatol": 0.02, "fatol": 0.01},
        )
        x = found.x
    values, offset = predicted(_with(start, names, x))
    best = replace(_with(start, names, x), rssi_offset_dbm=offset)
    residual = (values - target) / scale

    # Gauss-Newton: the statistics' Jacobian in the fitted values and the offset (central differences)
    every = [*names, "rssi_offset_dbm"]
    columns = []
    for name in every:
        h, centre = STEPS[name], getattr(best, name)
        lo = replace(best, **{name: max(centre - h, 0.0) if name != "margin_offset_db" else centre - h})
        hi = replace(best, **{name: centre + h})
        width = getattr(hi, name) - getattr(lo, name)
        columns.append((_fitted_statistics(scene, hi) - _fitted_statistics(scene, lo)) / width)
    jacobian = np.column_stack(columns) / scale[:, None]
    errors, correlation = _covariance(jacobian.T @ jacobian, every)
    return Fit(
        link=best,
        stderr=errors,
        correlation=correlation,
        chi2=float(np.sum(residual**2)),
        dof=len(FITTED) - len(every),
        residuals=dict(zip(FITTED, residual.round(3).tolist(), strict=True)),
        evaluations=evaluations,
    )


def _covariance(information: np.ndarray, names: Sequence[str]) -> tuple[dict[str, float], pd.DataFrame]:
    """Standard errors and correlations from the information matrix; a value along a direction the
    statistics do not move (eigenvalue below 1e-6 of the largest) is unconstrained (NaN)."""
    values, vectors = np.linalg.eigh(information)
    keep = values > 1e-6 * max(float(values.max(initial=0.0)), 1e-300)
    covariance = (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
    sd = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    sd = np.where(np.abs(vectors[:, ~keep]).max(axis=1, initial=0.0) > 0.1, np.nan, sd)
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = covariance / np.outer(sd, sd)
    return dict(zip(names, sd.tolist(), strict=True)), pd.DataFrame(correlation, index=names, columns=names)


@dataclass(frozen=True)
class Model:
    """One model on the held-out experiments."""

    label: str
    link: Link
    profile: str
    seen: TagDwells
    values: pd.Series


ROWS = (
    # key, statistic, unit, scale
    ("reads_per_s", "reads per second, experiment mean", "reads/s", 1.0),
    ("saturated_reads_per_s", "reads/s in dwells with >= {k} tags", "reads/s", 1.0),
    ("share_seen", "share of tags seen per experiment", "%", 100.0),
    ("coverage", "share of tag-dwells read", "%", 100.0),
    ("rssi_p10", "RSSI 10th percentile", "dBm", 1.0),
    ("rssi_p50", "RSSI median", "dBm", 1.0),
    ("rssi_p90", "RSSI 90th percentile", "dBm", 1.0),
    ("rssi_change", "RSSI change between dwells, RMS", "dB", 1.0),
    ("within_sd", "RSSI spread within a dwell", "dB", 1.0),
)


class DetegoCheck:
    """The gate's reader and link model in the Detego experiments: its defaults, and calibrated."""

    name = "detego"
    folder = "detego_rfid"

    def __init__(self, **cfg: Any) -> None:
        self.settings = DetegoSettings.from_config(cfg)
        self.record: dict[str, Any] = {}

    def run(self, data: Path | None, out: Path) -> Sequence[Row]:
        if data is None:
            raise DataMissing("detego_rfid: no data folder")
        s = self.settings
        experiments = load_experiments(data, s.experiments)
        fit_set, held = split(experiments, s.holdout_every)
        if len(fit_set) < 2 or len(held) < 2:
            raise ConfigError(
                f"validation.detego.experiments: the fit and the hold-out need two experiments each, got "
                f"{len(fit_set)} and {len(held)} (held out: every {s.holdout_every}th of a group)"
            )
        fit_scene, held_scene = Scene(fit_set, s, "fit"), Scene(held, s, "holdout")
        real_fit, se_fit = summary(fit_scene, real_tag_dwells(fit_scene), s.saturated_tags)
        real_seen = real_tag_dwells(held_scene)
        real, se = summary(held_scene, real_seen, s.saturated_tags)

        gate = Link(0.0, s.link_budget.fading_sigma_db, s.stand_off_spread_m, 0.0, s.rssi_noise_db)
        default = calibrate(fit_scene, real_fit, se_fit, gate, [], s.max_evaluations)  # the RSSI offset only
        noise = math.sqrt(max(real_fit.within_sd**2 - RSSI_STEP_DB**2 / 12.0, 0.0))
        fitted = calibrate(
            fit_scene, real_fit, se_fit, replace(gate, rssi_noise_db=noise), s.fit, s.max_evaluations
        )
        rates = {
            name: float(
                summary(fit_scene, simulate(fit_scene, fitted.link, p, "fit"), s.saturated_tags)[0][
                    "saturated_reads_per_s"
                ]
            )
            for name, p in s.reader_profiles.items()
        }
        chosen = min(rates, key=lambda n: abs(rates[n] - real_fit.saturated_reads_per_s))
        models = [
            self._model("default", default.link, "gate", s.link_profile, held_scene),
            self._model("calibrated", fitted.link, chosen, s.reader_profiles[chosen], held_scene),
        ]
        scale = fit_scale(se)
        self.record = {
            "source": SOURCE,
            "experiments": {"fit": [e.number for e in fit_set], "held_out": [e.number for e in held]},
            "geometry": {k: getattr(s, k) for k in ("stand_off_m", "panel_spacing_m", "rssi_slope")},
            "default": default.record(),
            "calibrated": fitted.record(),
            "rssi_noise_db_from_spread_within_dwells": noise,
            "saturated_reads_per_s": {"real_fit": float(real_fit.saturated_reads_per_s), **rates},
            "chosen_profile": chosen,
            "held_out_real": real.to_dict(),
            "held_out_standard_error": se.to_dict(),
            "held_out": {
                m.label: {
                    "values": m.values.to_dict(),
                    "residuals_in_se": dict(
                        zip(
                            FITTED,
                            ((m.values[list(FITTED)] - real[list(FITTED)]) / scale).round(3),
                            strict=True,
                        )
                    ),
                }
                for m in models
            },
        }
        write_json_atomic(out / "detego_fit.json", self.record)
        figure(held_scene, real_seen, models, self.record, out / "detego_rfid")
        v, e = fitted.link, fitted.stderr
        log.info(
            "detego fit: margin offset %.2f ± %.2f dB, fading %.2f ± %.2f dB, "
            "stand-off spread %.3f ± %.3f m, RSSI offset %.2f ± %.2f dBm, noise %.2f dB, "
            "chi2 %.2f on %d dof; profile %s",
            v.margin_offset_db,
            e.get("margin_offset_db", math.nan),
            v.fading_sigma_db,
            e.get("fading_sigma_db", math.nan),
            v.stand_off_spread_m,
            e.get("stand_off_spread_m", math.nan),
            v.rssi_offset_dbm,
            e["rssi_offset_dbm"],
            v.rssi_noise_db,
            fitted.chi2,
            fitted.dof,
            chosen,
        )
        return self._rows(real, se, len(held), models)

    def _model(self, label: str, link: Link, profile_name: str, profile: LinkProfile, scene: Scene) -> Model:
        seen = simulate(scene, link, profile, "holdout")
        values, _ = summary(scene, seen, self.settings.saturated_tags)
        values["within_sd"] = math.sqrt(link.rssi_noise_db**2 + RSSI_STEP_DB**2 / 12.0)  # whole-dBm reads
        return Model(label, link, profile_name, seen, values)

    def _rows(self, real: pd.Series, se: pd.Series, n_held: int, models: Sequence[Model]) -> list[Row]:
        rows = []
        for model in models:
            for key, text, unit, scale in ROWS:
                tolerance = 2.0 * math.sqrt(2.0) * float(se[key]) * scale
                why = (
                    f"2 x sqrt(2) x the real between-experiment SD / sqrt({n_held}): the difference of "
                    f"two means of {n_held} held-out experiments"
                )
                if unit == "dBm" and not tolerance >= RSSI_STEP_DB:
                    tolerance, why = RSSI_STEP_DB, "the reader reports whole dBm (a 1 dB step)"
                rows.append(
                    Row(
                        check=self.name,
                        statistic=f"{text.format(k=self.settings.saturated_tags)} [{model.label}]",
                        real=float(real[key]) * scale,
                        simulated=float(model.values[key]) * scale,
                        tolerance=tolerance if math.isfinite(tolerance) else 0.0,
                        unit=unit,
                        why_tolerance=why,
                        source=SOURCE,
                        # the gate's link profile was chosen to match the saturated read rate here
                        in_sample=key == "saturated_reads_per_s",
                    )
                )
        return rows


COLOURS = {"default": "tab:red", "calibrated": "tab:blue"}


def figure(
    scene: Scene, real: TagDwells, models: Sequence[Model], record: dict[str, Any], stem: Path
) -> None:
    """RSSI distributions, read rate against tags in the field, share of tags seen per experiment
    and RSSI change between dwells: the held-out experiments against both models."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    real_rssi = real.rssi[real.read]
    ax = axes[0, 0]
    bins = np.arange(-95.5, -24.5, 1.0)
    ax.hist(real_rssi, bins, density=True, color="0.6", label=f"real ({real_rssi.size:,} read tag-dwells)")
    for m in models:
        sim = m.seen.rssi[m.seen.read]
        ks = stats.ks_2samp(real_rssi, sim).statistic if sim.size and real_rssi.size else math.nan
        w1 = stats.wasserstein_distance(real_rssi, sim) if sim.size and real_rssi.size else math.nan
        label = f"{m.label}: KS {ks:.2f}, Wasserstein {w1:.1f} dB"
        ax.hist(sim, bins, density=True, histtype="step", lw=1.8, color=COLOURS[m.label], label=label)
    ax.set(xlabel="RSSI of a tag's first read in a dwell (dBm)", ylabel="share of read tag-dwells per dB")
    ax.set_title("RSSI")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    for label, seen, colour in [("real", real, "k"), *((m.label, m.seen, COLOURS[m.label]) for m in models)]:
        tags = np.bincount(scene.session, seen.read, minlength=scene.n_sessions).astype(np.int64)
        rate = seen.dwell_reads / scene.dwell_s
        counts = np.bincount(tags)
        ks = np.flatnonzero(counts >= 5)
        ks = ks[ks > 0]
        ax.plot(
            ks,
            [np.median(rate[tags == k]) for k in ks],
            "o-" if label == "real" else "s--",
            color=colour,
            ms=3,
            label=f"{label}, median",
        )
        if label == "real" and ks.size:
            lo = [np.quantile(rate[tags == k], 0.25) for k in ks]
            hi = [np.quantile(rate[tags == k], 0.75) for k in ks]
            ax.fill_between(ks, lo, hi, color="0.85", label="real, quartiles")
    ax.set_yscale("log")
    ax.set(xlabel="tags read in a 200 ms dwell", ylabel="reads per second in the dwell")
    ax.set_title("read rate against tags in the field")
    ax.legend(fontsize=8)

    ax = axes[1, 0]
    real_share = _share_seen(scene, real.read) * 100.0
    for m in models:
        ax.scatter(
            real_share, _share_seen(scene, m.seen.read) * 100.0, color=COLOURS[m.label], s=18, label=m.label
        )
    ax.plot([0, 100], [0, 100], color="0.5", lw=0.8, label="simulated = real")
    ax.set(
        xlabel="real share of tags seen (%)",
        ylabel="simulated share of tags seen (%)",
        xlim=(0, 102),
        ylim=(0, 102),
    )
    ax.set_title("share of an experiment's tags seen, per experiment")
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    edges = np.arange(-20.5, 21.0, 1.0)
    ax.hist(_changes(scene, real)[0], edges, density=True, color="0.6", label="real")
    for m in models:
        label = f"{m.label} (fading σ {m.link.fading_sigma_db:.2g} dB per dwell)"
        ax.hist(
            _changes(scene, m.seen)[0],
            edges,
            density=True,
            histtype="step",
            lw=1.8,
            color=COLOURS[m.label],
            label=label,
        )
    ax.set(
        xlabel="RSSI change of a tag between consecutive 200 ms dwells (dB)",
        ylabel="share of tag pairs per dB",
    )
    ax.set_title("dwell-to-dwell RSSI change")
    ax.legend(fontsize=8)

    v, e = record["calibrated"]["values"], record["calibrated"]["stderr"]
    fig.suptitle(
        f"Detego read logs (Hasler et al. 2019), {len(scene.experiments)} held-out experiments, "
        "against the gate's RFID model\n"
        f"calibrated: margin offset {v['margin_offset_db']:.1f} ± "
        f"{e.get('margin_offset_db', math.nan):.1f} dB, "
        f"fading σ {v['fading_sigma_db']:.2f} ± {e.get('fading_sigma_db', math.nan):.2f} dB, "
        f"stand-off spread {v['stand_off_spread_m']:.2f} ± {e.get('stand_off_spread_m', math.nan):.2f} m, "
        f"link profile {record['chosen_profile']}",
        fontsize=10,
    )
    fig.tight_layout()
    save(fig, stem)
