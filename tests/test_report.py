"""From a command-line sweep to the table and the break-even figure."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, run_sweep
from scipy import stats

from toolkit.report import collect, override_columns, paired_differences, summarise, write_csv


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    result = run_sweep(
        out,
        "system=[weight_only,rfid_gate]",
        "sensor=[door,loadcell,presence,rfid_gate]",
        "sensor.presence.mode=direct",
        "shoppers.visits_per_day=100,200",
        "costs.rfid.tag_price=0.02,0.5",
    )
    assert result.returncode == 0, result.stderr
    return out


def test_overrides_become_columns():
    assert override_columns(["seed=3", "costs.rfid.tag_price=0.5", "system=[a,b]", "hydra.run.dir=x"]) == {
        "seed": 3,
        "costs.rfid.tag_price": 0.5,
    }


def test_summary_intervals_are_student_t_and_undefined_from_one_seed(tmp_path):
    rows = [
        {"system": "a", "x": 1, "m": 0.5},
        {"system": "a", "x": 1, "m": 0.6},
        {"system": "a", "x": 1, "m": 0.9},
        {"system": "a", "x": 1, "m": math.nan},  # a run without the metric: no value, still a run
        {"system": "a", "x": 2, "m": 0.7},
    ]
    three, one = summarise(rows, ["x"], ["m"])
    assert three["n_seeds"] == 4 and three["m_n"] == 3 and three["m"] == pytest.approx(2.0 / 3)
    # t(0.975, 2 degrees of freedom) = 4.30, more than twice the normal approximation's 1.96
    assert three["m_ci95"] == pytest.approx(stats.t.ppf(0.975, 2) * stats.sem([0.5, 0.6, 0.9]))
    assert one["n_seeds"] == 1 and one["m"] == 0.7 and one["m_ci95"] is None
    write_csv([three, one], tmp_path / "summary.csv")
    with open(tmp_path / "summary.csv") as fh:
        assert [r["m_ci95"] for r in csv.DictReader(fh)][1] == ""  # undefined, not a zero-width interval


def test_store_seed_is_a_replicate_not_a_scenario(tmp_path):
    for job, (store_seed, seed) in enumerate([(1, 0), (2, 0), (1, 1)]):
        (tmp_path / str(job)).mkdir()
        record = {
            "seed": seed,
            "overrides": [f"store_seed={store_seed}", f"seed={seed}", "shoppers.visits_per_day=60"],
            "systems": {"weight_only": {"receipt_exact": 0.5 + job / 10}},
        }
        (tmp_path / str(job) / "metrics.json").write_text(json.dumps(record))
    rows, scenario = collect([tmp_path])
    assert scenario == ["shoppers.visits_per_day"]
    assert [(r["store_seed"], r["seed"]) for r in rows] == [(1, 0), (2, 0), (1, 1)]
    (entry,) = summarise(rows, scenario, ["receipt_exact"])
    assert entry["n_seeds"] == 3 and entry["receipt_exact"] == pytest.approx(0.6)
    # a seed given as an interpolation is taken as the run resolved it
    record["overrides"][0], record["store_seed"] = "store_seed=${seed}", 1
    (tmp_path / "2" / "metrics.json").write_text(json.dumps(record))
    assert collect([tmp_path])[0][2]["store_seed"] == 1


@pytest.mark.e2e
def test_report_writes_a_tidy_table_and_the_break_even_figure(sweep):
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "report.py"), str(sweep)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    with open(sweep / "report" / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 * 2  # runs × systems
    assert {"shoppers.visits_per_day", "costs.rfid.tag_price", "system", "cost_annual"} <= set(rows[0])
    for suffix in (".png", ".pdf"):
        assert (sweep / "report" / f"break_even{suffix}").stat().st_size > 0
    # one seed per scenario: each design is paired with the gate on its run, n = 1, no interval
    with open(sweep / "report" / "paired.csv") as fh:
        paired = list(csv.DictReader(fh))
    assert {(r["system"], r["reference"], r["receipt_exact_diff_n"]) for r in paired} == {
        ("weight_only", "rfid_gate", "1")
    }
    assert len(paired) == 4 and all(r["receipt_exact_diff_ci95"] == "" for r in paired)
    assert "paired with rfid_gate on the same visits" in result.stdout


@pytest.mark.e2e
def test_tag_price_moves_only_the_tagged_design(sweep):
    rows, scenario = collect([sweep])
    assert {"shoppers.visits_per_day", "costs.rfid.tag_price"} <= set(scenario)
    cost = {
        (r["system"], r["shoppers.visits_per_day"], r["costs.rfid.tag_price"]): r["cost_annual"] for r in rows
    }
    for visits in (100, 200):
        assert cost[("rfid_gate", visits, 0.5)] > cost[("rfid_gate", visits, 0.02)]
        assert cost[("weight_only", visits, 0.5)] == cost[("weight_only", visits, 0.02)]
    summary = summarise(rows, scenario, ["cost_annual"])
    assert len(summary) == 8 and all(entry["n_seeds"] == 1 for entry in summary)


@pytest.mark.e2e
def test_report_refuses_a_directory_without_results(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "report.py"), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "no metrics.json" in result.stderr


def test_paired_differences_pair_designs_run_by_run():
    """Two designs that share each day's luck: their separate intervals overlap, while the paired
    difference (same visits, run by run) is exact and narrow."""
    day_luck = [0.10, -0.08, 0.03, -0.05]
    rows = [
        {"run": f"r{i}", "x": 1, "system": system, "m": 0.6 + luck + lead}
        for i, luck in enumerate(day_luck)
        for system, lead in (("rfid_gate", 0.0), ("vision", -0.02 + 0.001 * i))
    ]
    rows.append({"run": "r9", "x": 1, "system": "vision", "m": 0.5})  # no gate on that run: unpaired
    (entry,) = paired_differences(rows, ["x"], ["m"], "rfid_gate")
    diffs = [-0.02 + 0.001 * i for i in range(4)]
    assert entry["system"] == "vision" and entry["reference"] == "rfid_gate" and entry["m_diff_n"] == 4
    assert entry["m_diff"] == pytest.approx(np.mean(diffs))
    assert entry["m_diff_ci95"] == pytest.approx(stats.t.ppf(0.975, 3) * stats.sem(diffs))
    separate = summarise(rows, ["x"], ["m"])
    assert all(e["m_ci95"] > 20 * entry["m_diff_ci95"] for e in separate)
    assert paired_differences(rows, ["x"], ["m"], "rfid_shelf") == []
