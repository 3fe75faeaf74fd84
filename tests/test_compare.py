"""The command line: determinism, bad config values, and a user recognizer plugged in by _target_."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PLUGINS, ROOT, TINY, compose_config


def run_compare(tmp_path: Path, *overrides: str, name: str = "run") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "experiments" / "compare.py"),
            f"hydra.run.dir={tmp_path / name}",
            *TINY,
            *overrides,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def systems_block(tmp_path: Path, name: str) -> bytes:
    record = json.loads((tmp_path / name / "metrics.json").read_text())
    return json.dumps(record["systems"], sort_keys=True).encode()


def test_same_seed_gives_identical_metrics_and_another_seed_differs(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        result = run_compare(tmp_path, f"seed={seed}", name=name)
        assert result.returncode == 0, result.stderr
    # the whole file, every system: byte for byte
    assert (tmp_path / "a" / "metrics.json").read_bytes() == (tmp_path / "b" / "metrics.json").read_bytes()
    assert systems_block(tmp_path, "a") != systems_block(tmp_path, "c")


def test_run_prints_the_table_and_writes_the_documented_schema(tmp_path):
    result = run_compare(tmp_path, name="s")
    assert result.returncode == 0, result.stderr
    assert "exact receipts" in result.stdout and "weight_history" in result.stdout
    record = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert record["schema"] == 1 and record["seed"] == 0
    assert record["overrides"] == list(TINY)
    assert set(record["systems"]) == set(compose_config().system)  # every system of the default list
    assert "rfid_gate: unit read rate" in result.stdout and "liquid" in result.stdout
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
    assert not list((tmp_path / "s").glob(".metrics.json.*")), "no temporary file left behind"


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
    ],
)
def test_bad_config_values_stop_at_start_naming_the_key(tmp_path, override, key):
    result = run_compare(tmp_path, override, name="bad")
    assert result.returncode != 0
    assert key in result.stderr
    assert not (tmp_path / "bad" / "metrics.json").exists()


def test_a_misspelt_recognizer_gets_a_suggestion(tmp_path):
    result = run_compare(tmp_path, "system.weight_only.recognizers=[wieght]", name="typo")
    assert "did you mean 'weight'?" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("config error")]) == 1


def test_a_recognizer_from_outside_the_toolkit_runs_by_target_override(tmp_path):
    base = run_compare(tmp_path, "system=[weight_only]", name="base")
    plugged = run_compare(
        tmp_path,
        "system=[weight_only]",
        "+recognizer.student_t._target_=student_t_weight.StudentTWeight",
        "+recognizer.student_t.dof=2.0",
        "system.weight_only.recognizers=[student_t]",
        name="plugin",
    )
    assert base.returncode == 0 and plugged.returncode == 0, plugged.stderr
    assert "student_t_weight.StudentTWeight" in plugged.stdout + plugged.stderr
    assert systems_block(tmp_path, "base") != systems_block(tmp_path, "plugin")
