"""The command line: determinism, bad config values, and a user recognizer plugged in by _target_."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import CONFIG_DIR, PLUGINS, ROOT, TINY, compose_config

from toolkit.comparison import plan_comparison, run_comparison
from toolkit.comparison.pipeline import simulate_shoppers
from toolkit.config import ConfigError
from toolkit.io import jsonable
from toolkit.preflight import check_command_line


def start_compare(tmp_path: Path, *overrides: str, name: str = "run") -> subprocess.Popen:
    """`compare.py` on the tiny scenario in a process of its own, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, str(ROOT / "experiments" / "compare.py"), f"hydra.run.dir={tmp_path / name}"]
    return subprocess.Popen(
        [*command, *TINY, *overrides],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def run_compare(tmp_path: Path, *overrides: str, name: str = "run") -> subprocess.CompletedProcess:
    job = start_compare(tmp_path, *overrides, name=name)
    stdout, stderr = job.communicate(timeout=300)
    return subprocess.CompletedProcess(job.args, job.returncode, stdout, stderr)


def systems_block(tmp_path: Path, name: str) -> bytes:
    record = json.loads((tmp_path / name / "metrics.json").read_text())
    return json.dumps(record["systems"], sort_keys=True).encode()


@pytest.mark.e2e
def test_a_run_prints_the_table_writes_the_documented_schema_and_repeats_bit_for_bit(tmp_path):
    first = start_compare(tmp_path, "seed=3", name="a")  # trains (or loads) this store's CNN
    results = {"a": (first, *first.communicate(timeout=300))}
    again = start_compare(tmp_path, "seed=3", name="b")  # from the cache, beside another seed in-process
    other = run_comparison(compose_config([*TINY, "seed=4"]))["systems"]
    results["b"] = (again, *again.communicate(timeout=300))
    for job, _, stderr in results.values():
        assert job.returncode == 0, stderr
    # the whole file, every system: byte for byte
    assert (tmp_path / "a" / "metrics.json").read_bytes() == (tmp_path / "b" / "metrics.json").read_bytes()
    assert json.dumps(jsonable(other), sort_keys=True).encode() != systems_block(tmp_path, "a")
    stdout = results["a"][1]
    assert "exact receipts" in stdout and "weight_history" in stdout
    record = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert record["schema"] == 1 and record["seed"] == 3
    assert record["overrides"] == [*TINY, "seed=3"]
    assert set(record["systems"]) == set(compose_config().system)  # every system of the default list
    assert "rfid_gate: unit read rate" in stdout and "liquid" in stdout
    assert record["systems"]["rfid_gate"]["event_accuracy"] is None  # no shelf events: not applicable
    for metrics in (record["systems"][name] for name in ("weight_only", "weight_history")):
        for key in (
            "receipt_exact",
            "line_precision",
            "line_recall",
            "line_f1",
            "revenue_error",
            "event_accuracy",
            "review_rate",
            "ece",
            "aurc",
        ):
            assert 0.0 <= metrics[key] <= 1.0 or key == "revenue_error", key
    assert 0.9 < record["scenario"]["track_on_target"] <= 1.0  # shoppers were tracked
    assert not list((tmp_path / "a").glob(".metrics.json.*")), "no temporary file left behind"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("sensor.loadcell.noise_g=-1", "sensor.loadcell.noise_g"),
        ("shoppers.p_buy_given_pick=1.5", "shoppers.p_buy_given_pick"),
        ("catalog.n_skus=0", "catalog.n_skus"),
        ("system=[weight_ony]", "system: unknown value 'weight_ony' (did you mean 'weight_only'?)"),
        ("sensor.loadcell.noize_g=3", "sensor.loadcell.noize_g: unknown key (did you mean 'noise_g'?)"),
        ("system.weight_only.recognizers=[wieght]", "system.weight_only.recognizers"),
        ("+system.weight_only.beta.weight=-1", "system.weight_only.beta.weight"),
        ("system.weight_only.decision.review_threshold=2", "system.weight_only.decision.review_threshold"),
        ("sensor.presence.mode=trakcs", "sensor.presence.mode"),
        ("tracking.gate_chi2=0", "tracking.gate_chi2"),
        # checked when planned, before any shopper walks in
        ("sensor.loadcell.cusum_h=0", "sensor.loadcell.cusum_h"),
        (
            "sensor.loadcell.mode=stram",
            "sensor.loadcell.mode: unknown value 'stram' (did you mean 'stream'?)",
        ),
        ("vision.train.model=resnet19", "vision.train.model: unknown value 'resnet19'"),
        ("sensor.camera.views_per_event=0", "sensor.camera.views_per_event"),
        ("sensor.rfid_gate.link_budget.eirp_dbm=90", "sensor.rfid_gate.link_budget.eirp_dbm"),
    ],
)
def test_bad_config_values_stop_at_start_naming_the_key(override, key):
    # what the command line does before any work: check the overrides, then plan the comparison
    with pytest.raises(ConfigError) as err:
        check_command_line(CONFIG_DIR, "compare", [override])
        plan_comparison(compose_config([override]))
    assert key in str(err.value)


@pytest.mark.e2e
def test_a_misspelt_recognizer_gets_a_suggestion(tmp_path):
    result = run_compare(tmp_path, "system.weight_only.recognizers=[wieght]", name="typo")
    assert "did you mean 'weight'?" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("config error")]) == 1


@pytest.mark.e2e
def test_a_recognizer_from_outside_the_toolkit_runs_by_target_override():
    # the README's command-line route, composed as the command line composes it
    base = run_comparison(compose_config([*TINY, "system=[weight_only]"]))["systems"]
    plugged = run_comparison(
        compose_config(
            [
                *TINY,
                "system=[weight_only]",
                "+recognizer.student_t._target_=student_t_weight.StudentTWeight",
                "+recognizer.student_t.dof=2.0",
                "system.weight_only.recognizers=[student_t]",
            ]
        )
    )["systems"]
    assert json.dumps(jsonable(base), sort_keys=True) != json.dumps(jsonable(plugged), sort_keys=True)


def test_the_day_seed_keeps_the_store_and_the_store_seed_changes_it():
    """Five seeds are five days in one store (one CNN, one customer base); five store seeds are
    five stores."""
    plans = {
        (seed, store): plan_comparison(compose_config([*TINY, f"seed={seed}", f"store_seed={store}"]))
        for seed, store in ((0, 0), (1, 0), (0, 1))
    }
    same_store = plans[0, 0].world, plans[1, 0].world
    other_store = plans[0, 1].world
    assert np.array_equal(same_store[0].catalog.appearance, same_store[1].catalog.appearance)
    assert np.array_equal(same_store[0].planogram.slot_sku, same_store[1].planogram.slot_sku)
    assert not np.array_equal(same_store[0].catalog.appearance, other_store.catalog.appearance)
    assert plans[1, 0].seed == 1 and plans[1, 0].store_seed == 0
    # the same regulars with the same purchase histories every day; other visits each day
    (population, day), (same_people, next_day) = (simulate_shoppers(plans[key]) for key in ((0, 0), (1, 0)))
    assert np.array_equal(population.past_counts, same_people.past_counts)
    assert not np.array_equal(day.visit_shopper, next_day.visit_shopper)
    other_people = simulate_shoppers(plans[0, 1])[0]
    assert not np.array_equal(population.past_counts, other_people.past_counts)


def test_a_modified_design_shows_its_own_name_and_renaming_changes_no_result():
    base = [*TINY, "sensor.presence.mode=direct", "system=[weight_history,rfid_gate]"]
    plain = run_comparison(compose_config(base))["systems"]
    renamed = run_comparison(compose_config([*base, "system.weight_history.name=history_k20"]))["systems"]
    assert list(renamed) == ["history_k20", "rfid_gate"]
    assert renamed["history_k20"] == plain["weight_history"]
    for taken in ("rfid_gate", "weight_only"):  # selected or not: a built-in design's name is its own
        with pytest.raises(ConfigError, match=f"system.weight_history.name: '{taken}' is another design's"):
            plan_comparison(compose_config([*base, f"system.weight_history.name={taken}"]))
