"""The decision: the winner at the target from the nominal days, the probability it stays the
winner over draws of the uncertain parameters, and the parameters that would change it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, TINY, compose_config
from tests.test_figures import check_figure
from toolkit.config import ConfigError
from toolkit.decision import (
    DecideSettings,
    analyse,
    apply_job,
    draw,
    drawn_values,
    format_decision,
    from_sweep,
)

PARAMETERS = {"a": {"key": "x.a", "range": [0.0, 1.0]}, "b": {"key": "x.b", "range": [10.0, 20.0]}}


def settings(**changes) -> DecideSettings:
    base = {"target": 0.95, "nominal_days": 3, "draws": 60, "seed": 0, "point": 0, "parameters": PARAMETERS}
    return DecideSettings.from_config({**base, **changes})


def record(point: int, costs: dict[str, float | None], values: dict | None = None) -> dict:
    return {
        "decide": {"point": point, "values": values or {}},
        "systems": {name: {"at95_cost_per_correct_receipt": cost} for name, cost in costs.items()},
    }


def known_records(s: DecideSettings) -> dict[int, dict]:
    """Design `cheap` costs 1 + 1.5 a, `steady` 1.8 whatever b: `cheap` wins while a < 0.533."""
    records = {
        i: record(i, {"cheap": 1.2 + 0.05 * i, "steady": 1.8 + 0.01 * i}) for i in range(s.nominal_days)
    }
    for j, (a, b) in enumerate(drawn_values(s)):
        costs = {"cheap": 1.0 + 1.5 * a, "steady": 1.8}
        records[s.nominal_days + j] = record(s.nominal_days + j, costs, {"a": a, "b": b})
    return records


def test_the_winner_its_probability_and_the_parameter_that_flips_it_are_found():
    s = settings()
    decision = analyse(s, known_records(s))
    assert (decision.winner, decision.runner_up) == ("cheap", "steady")
    mean, half, n = decision.margin
    assert n == 3 and mean == pytest.approx(0.56, abs=1e-9) and half > 0
    wins, draws, low, high = decision.stays
    assert draws == 60 and low < 0.8 / 1.5 < high and wins == int((drawn_values(s)[:, 0] < 0.8 / 1.5).sum())
    top = decision.drivers.iloc[0]
    assert decision.drivers.index[0] == "a" and top["rho"] < -0.9 and top["worst_third"] == "0.667-1"
    assert top["loses_there"] == top["draws_there"] > 0  # with a high, cheap always loses
    assert abs(decision.drivers.loc["b", "rho"]) < 0.3 and decision.drivers.loc["b", "p_value"] > 0.05
    text = "\n".join(format_decision(decision))
    assert "winner: cheap" in text and f"{wins} of 60 draws" in text and "  a: ρ -" in text


def test_the_decision_figure_is_fit_for_a_paper():
    s = settings()
    figure = draw(analyse(s, known_records(s)))
    title = check_figure("decision", figure)
    assert "3 seeds" in title and "60 runs" in title
    assert [ax.get_xlabel() for ax in figure.axes[1:]] == ["a (x.a)", "b (x.b)"]
    per_visit = settings(metric="cost_per_visit")
    records = known_records(per_visit)
    for record in records.values():  # the same costs, recorded per visit
        record["systems"] = {
            n: {"at95_cost_per_visit": m["at95_cost_per_correct_receipt"]}
            for n, m in record["systems"].items()
        }
    assert draw(analyse(per_visit, records)).axes[0].get_ylabel().startswith("cost per visit at 95")


def test_a_design_that_misses_the_target_on_a_nominal_day_cannot_win_and_the_lines_say_so():
    s = settings(draws=3)
    records = known_records(s)
    records[1]["systems"]["cheap"]["at95_cost_per_correct_receipt"] = None
    decision = analyse(s, records)
    assert decision.winner == "steady" and decision.runner_up is None
    assert "cheap" in decision.nominal.index and decision.nominal.loc["cheap", "reached"] == 2
    assert any("reaches it on 2 of 3 days" in line for line in format_decision(decision))


def test_each_job_gets_its_own_day_and_a_draw_gets_its_values():
    cfg = compose_config(["debug=tiny", "decide.nominal_days=2", "decide.draws=3"], "decide")
    nominal = apply_job(cfg.copy(), DecideSettings.from_config({**cfg.decide, "point": 1}))
    assert nominal == {"point": 1, "kind": "nominal", "values": {}}
    drawn_cfg = cfg.copy()
    drawn = apply_job(drawn_cfg, DecideSettings.from_config({**cfg.decide, "point": 4}))
    row = drawn_values(DecideSettings.from_config(cfg.decide))[2]
    assert drawn["kind"] == "draw" and drawn_cfg.seed == cfg.seed + 4
    assert drawn["values"]["buy_rate"] == pytest.approx(row[0])
    assert drawn_cfg.shoppers.p_buy_given_pick == row[0]
    with pytest.raises(ConfigError, match=r"decide\.point: .* 5 jobs"):
        apply_job(cfg.copy(), DecideSettings.from_config({**cfg.decide, "point": 5}))
    with pytest.raises(ConfigError, match=r"decide\.target: 0\.9 is not one of"):
        apply_job(cfg.copy(), DecideSettings.from_config({**cfg.decide, "target": 0.9}))


def test_the_app_runs_every_job_and_prints_the_decision(tmp_path):
    """Two nominal days and three draws of two parameters on the tiny store."""
    kept = {"buy_rate", "body_shadowed"}
    ranges = compose_config(config_name="decide").decide.parameters
    dropped = [f"~decide.parameters.{name}" for name in ranges if name not in kept]
    command = [sys.executable, str(ROOT / "experiments" / "decide.py"), "-m", f"hydra.sweep.dir={tmp_path}"]
    command += [*TINY, "decide.nominal_days=2", "decide.draws=3", "sensor.presence.mode=direct", *dropped]
    command += ["hydra/launcher=local", "system=[weight_only,rfid_gate]"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "winner: " in done.stdout and "draws of the uncertain parameters" in done.stdout
    decision = (tmp_path / "decision" / "decision.txt").read_text()
    first = decision.splitlines()[0]
    assert first.startswith("cost per correct receipt (USD, mean ± 95 % t-interval) at 95% exact receipts")
    draws = pd.read_csv(tmp_path / "decision" / "draws.csv", index_col="point")
    assert list(draws.index) == [2, 3, 4] and np.isfinite(draws[["weight_only", "rfid_gate"]]).all().all()
    assert set(pd.read_csv(tmp_path / "decision" / "drivers.csv")["parameter"]) == kept
    assert (tmp_path / "decision" / "decision.png").stat().st_size > 0
    assert format_decision(from_sweep(tmp_path)) == decision.splitlines()  # what a notebook reads
