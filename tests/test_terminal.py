"""What a run shows: one line, a progress bar that counts to the stages the day runs, a table that
fits 120 columns, and the full log in the run directory (on the terminal with -v)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from conftest import ROOT, TINY, compose_config

from toolkit.comparison import StageClock, run_comparison
from toolkit.report import TERMINAL_WIDTH, format_summary
from toolkit.terminal import CONSOLE_INFO, take_verbose_flag


@pytest.mark.parametrize("presence", ["tracks", "direct"])
def test_the_progress_bar_counts_to_the_stages_the_day_runs(presence):
    clock = StageClock()
    record = run_comparison(compose_config([*TINY, f"sensor.presence.mode={presence}"]), clock=clock)
    assert clock.expected == len(clock.seconds)
    assert len(record["systems"]) * 2 <= clock.expected


def test_the_table_fits_120_columns_and_keeps_every_system_and_column():
    record = run_comparison(compose_config([*TINY, "sensor.presence.mode=direct"]))
    record["systems"]["a_design_with_a_long_name_of_its_own"] = record["systems"]["weight_only"]
    text = format_summary(record)
    assert max(map(len, text.splitlines())) <= TERMINAL_WIDTH
    for title in ("exact receipts", "ECE", "annual $", "events/visit"):
        assert sum(title in line for line in text.splitlines()) == 1
    assert sum(line.startswith("a_design_with_a_long_name") for line in text.splitlines()) >= 2
    narrow = format_summary(record, width=60)
    assert max(map(len, narrow.splitlines())) <= 60


def test_minus_v_becomes_the_override_that_shows_the_log():
    assert take_verbose_flag(["compare.py", "-v", "seed=1"]) == ["compare.py", CONSOLE_INFO, "seed=1"]


@pytest.mark.e2e
def test_a_run_prints_a_short_summary_and_logs_in_full_to_its_directory(tmp_path):
    def run(*extra: str) -> subprocess.CompletedProcess:
        command = [sys.executable, str(ROOT / "experiments" / "compare.py"), f"hydra.run.dir={tmp_path}"]
        return subprocess.run(
            [*command, *TINY, "system=[weight_only,rfid_gate]", *extra],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=600,
        )

    quiet = run()
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""  # no log lines, and no progress bar when stderr is not a terminal
    lines = quiet.stdout.splitlines()
    assert lines[0].startswith("simulating 150 visits") and len(lines) < 30
    assert max(map(len, lines[:-1])) <= TERMINAL_WIDTH  # the last names the run folder, however long
    assert lines[-1] == f"written to {tmp_path}/: metrics.json, metrics.csv, comparison.png, compare.log"
    log = (tmp_path / "compare.log").read_text()
    assert "running system weight_only" in log
    with (tmp_path / "metrics.csv").open() as fh:
        table = {row["system"]: row for row in csv.DictReader(fh)}
    metrics = json.loads((tmp_path / "metrics.json").read_text())["systems"]
    assert set(table) == set(metrics)
    assert float(table["weight_only"]["receipt_exact"]) == metrics["weight_only"]["receipt_exact"]
    loud = run("-v")
    assert loud.returncode == 0, loud.stderr
    assert "running system weight_only" in loud.stderr
