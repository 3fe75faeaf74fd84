"""From a command-line sweep to the table and the break-even figure."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from conftest import ROOT, run_sweep

from toolkit.report import collect, override_columns, summarise


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
