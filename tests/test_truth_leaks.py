"""No design reads the truth, checked by behaviour rather than by imports.

Three checks on a small day with every sensor and every design (mat-triggered events included):

* after sensing, every truth-only quantity is scrambled in place (take times, exit and entry
  times, the actor of each interaction, which basket belongs to which visit): observations and
  receipts must not move. A design that keeps a reference to a truth array, or reads one at
  decision time, moves.
* no observed time reproduces a true time bit for bit: every sensor has noise or a clock of its
  own, so an exact copy of a true take, exit or entry time is a leak.
* every field of every observation type is listed with the sensor model that measures it, and
  only scans and tracks may carry a visit's identity.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
from conftest import TINY, compose_config
from scipy import stats

from toolkit.comparison import plan_comparison, run_systems, sense_day
from toolkit.sensors import observations as obs_module
from toolkit.sensors.observations import IDENTITY_FIELDS, PROVENANCE, Observations

LEAK_DAY = (*TINY, "sensor.loadcell.p_dead_plate=0.2", "shoppers.visits_per_day=200")


@pytest.fixture(scope="module")
def sensed():
    cfg = compose_config(LEAK_DAY)
    plan = plan_comparison(cfg)
    day = sense_day(plan)
    return plan, day


def _arrays(value, path="obs"):
    """Every numpy array reachable from an observation object, with its path."""
    if isinstance(value, np.ndarray):
        yield path, value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _arrays(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _arrays(item, f"{path}[{key}]")


def _scramble(truth, rng):
    """Change every truth-only quantity in place, keeping array shapes and dtypes."""
    truth.inter_time_s[:] += rng.uniform(-30.0, 30.0, truth.inter_time_s.shape)
    truth.visit_exit_s[:] += rng.uniform(5.0, 120.0, truth.visit_exit_s.shape)
    truth.visit_arrival_s[:] -= rng.uniform(5.0, 120.0, truth.visit_arrival_s.shape)
    for name in ("inter_visit", "inter_plate", "inter_kind", "stop_visit", "stop_shelf", "visit_shopper"):
        array = getattr(truth, name)
        array[:] = rng.permutation(array)
    truth.inter_sku[:] = truth.inter_sku[rng.permutation(truth.inter_sku.shape[0])]
    truth.inter_count[:] = truth.inter_count[rng.permutation(truth.inter_count.shape[0])]
    truth.basket[:] = truth.basket[rng.permutation(truth.basket.shape[0])]
    for name in ("stop_start_s", "stop_end_s", "stop_stand_m"):
        getattr(truth, name)[:] += rng.uniform(-5.0, 5.0, getattr(truth, name).shape)


@pytest.mark.e2e
def test_observations_and_receipts_do_not_move_when_the_truth_changes_after_sensing(sensed):
    plan, day = sensed
    day = copy.deepcopy(day)
    before = run_systems(plan, day)
    seen = {path: array.copy() for path, array in _arrays(day.observations)}
    _scramble(day.truth, np.random.default_rng(7))
    after = run_systems(plan, day)
    moved_obs = [
        path
        for path, array in _arrays(day.observations)
        if not np.array_equal(array, seen[path], equal_nan=True)
    ]
    moved = [name for name in before if not np.array_equal(before[name].receipts, after[name].receipts)]
    assert not moved_obs and not moved, f"observations {moved_obs} and receipts {moved} moved with the truth"
    # what a design doubts picks what is reviewed and checked at equal accuracy: its own too
    for field in ("visit_doubt", "confidence", "attribution_confidence"):
        shifted = [
            name
            for name in before
            if getattr(before[name], field, None) is not None
            and not np.array_equal(getattr(before[name], field), getattr(after[name], field))
        ]
        assert not shifted, f"{field} of {shifted} moved with the truth"


def test_no_observed_time_reproduces_a_true_time(sensed):
    _, day = sensed
    t = day.truth
    true_times = np.unique(
        np.r_[t.inter_time_s, t.visit_exit_s, t.visit_arrival_s, t.stop_start_s, t.stop_end_s]
    )
    copies = {}
    for path, array in _arrays(day.observations):
        if array.dtype.kind != "f" or array.size == 0:
            continue
        share = (
            float(np.isin(array[np.isfinite(array)], true_times).mean()) if np.isfinite(array).any() else 0.0
        )
        if share > 0.001:
            copies[path] = round(share, 3)
    assert not copies, f"observed values that are exact copies of true times (share): {copies}"


def _observation_types():
    """Every dataclass in the observations module that a design can receive."""
    return [
        obj
        for obj in vars(obs_module).values()
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == obs_module.__name__
    ]


def test_every_observation_field_is_measured_by_a_named_sensor_model(sensed):
    _, day = sensed
    unlisted = [
        f"{cls.__name__}.{f.name}"
        for cls in _observation_types()
        if cls is not Observations
        for f in dataclasses.fields(cls)
        if f"{cls.__name__}.{f.name}" not in PROVENANCE
    ]
    assert not unlisted, f"observation fields with no sensor model: {unlisted}"
    for key, (module, measures) in PROVENANCE.items():
        assert module.startswith("toolkit.sensors.") or module == "toolkit.tracking", key
        __import__(module)
        assert measures, key
    identities = {
        f"{cls.__name__}.{f.name}"
        for cls in _observation_types()
        for f in dataclasses.fields(cls)
        if "visit" in f.name or "shopper" in f.name
    }
    assert identities <= IDENTITY_FIELDS, (
        f"identity fields from no scan or track: {identities - IDENTITY_FIELDS}"
    )
    # every signal the day produced is one of the listed types
    for name, signal in day.observations.readings.items():
        assert type(signal) in _observation_types(), name


def test_no_identity_hides_in_an_epc(sensed):
    """An EPC is a serial number: its order must say nothing of whose tag it is, nor whether a
    shelf tag was taken or never moved (a phantom)."""
    _, day = sensed
    reads = day.observations.readings["rfid_gate"].reads
    owner = day.sensed["rfid_gate"].truth.entry_visit[day.sensed["rfid_gate"].truth.read_entry]
    own = owner >= 0
    rho = stats.spearmanr(reads.epc[own], owner[own]).statistic
    assert abs(rho) < 0.1, f"gate EPCs follow their owners' visit order (Spearman {rho:.2f})"
    kinds = day.sensed["rfid_gate"].truth.entry_origin[day.sensed["rfid_gate"].truth.read_entry]
    display = stats.mannwhitneyu(np.unique(reads.epc[kinds == 1]), np.unique(reads.epc[kinds == 0])).pvalue
    assert display > 1e-4, "display tags stand apart from basket tags by EPC"
    events = day.observations.readings["rfid_shelf"].events
    departure = events.change == 0
    phantom = day.sensed["rfid_shelf"].truth.departure_visit < 0
    if phantom.any() and (~phantom).any():
        p = stats.mannwhitneyu(events.epc[departure][phantom], events.epc[departure][~phantom]).pvalue
        assert p > 1e-4, "phantom departures stand apart from real ones by EPC"
