"""Sensors, recognizers and designs plug in from outside the toolkit, as the README says."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT, TINY, compose_config, small_day
from shelf_facings import FacingCounter, FacingCounterDesign, FacingsRecognizer

from toolkit.comparison import plan_comparison, sense_day
from toolkit.config import ConfigError
from toolkit.recognizers import check_recognizer
from toolkit.sensors import BaseSensor, SensorCheckError, check_sensor
from toolkit.systems import SystemCheckError, check_system_shape

README = (ROOT / "README.md").read_text()


def readme_recipe() -> str:
    """The shell block of the README's plugin recipe, as a user copies it."""
    match = re.search(r"<!-- plugin-recipe -->\s*```bash\n(.*?)```", README, re.S)
    assert match, "the README has no plugin recipe block"
    return match.group(1)


@pytest.mark.e2e
def test_the_readme_recipe_runs_a_sensor_recognizer_and_design_from_outside_the_repo(tmp_path):
    plugins = tmp_path / "my_plugins"
    script = readme_recipe().replace("PLUGINS=$HOME/my_plugins", f"PLUGINS={plugins}")
    script = script.replace("python experiments/compare.py", f"{sys.executable} experiments/compare.py")
    script = script.rstrip() + " " + " ".join(TINY) + f" hydra.run.dir={tmp_path / 'run'}\n"
    result = subprocess.run(["bash", "-euc", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / "run" / "metrics.json").read_text())
    systems = record["systems"]
    assert set(systems) == {"weight_only", "facing_counter", "weight_facings"}
    # the new sensor is on the bill of the designs that use it, and only theirs
    assert systems["facing_counter"]["capex_facing_counters"] > 0
    assert systems["weight_facings"]["capex_facing_counters"] > 0
    assert "capex_facing_counters" not in systems["weight_only"]
    # the recognizer's evidence moves the fusion design's decisions
    assert systems["weight_facings"]["event_accuracy"] != systems["weight_only"]["event_accuracy"]
    assert 0.0 <= systems["facing_counter"]["receipt_exact"] <= 1.0


@pytest.mark.e2e
def test_the_plugin_sensor_recognizer_and_design_pass_their_checkers():
    cfg = compose_config(["catalog.n_skus=24", "store.n_shelves=4", "shoppers.visits_per_day=120"])
    day = sense_day(plan_comparison(cfg))
    sensor = FacingCounter(p_miscount=0.05, p_missing=0.02, price_per_plate=40.0, power_w=0.5)
    sensed = check_sensor("facings", sensor, day.context)
    assert sensed.signal.units_taken.shape == (day.observations.events.n_events,)
    check_recognizer(FacingsRecognizer(), day.context.world, sensors={"facings": sensor})
    check_system_shape("facing_counter", FacingCounterDesign("facing_counter"))


@pytest.mark.e2e
def test_every_configured_sensor_passes_the_checker():
    cfg, *_ = small_day()
    plan = plan_comparison(cfg)
    day = sense_day(plan)
    for name, sensor in plan.sensors.items():
        check_sensor(name, sensor, day.context)


class _Clumsy(BaseSensor):
    """Draws from the global generator and writes into the truth."""

    def observe(self, ctx, rng):
        ctx.truth.inter_time_s[:] = 0.0
        return None


@pytest.mark.e2e
def test_the_checkers_name_what_is_wrong():
    cfg = compose_config(["catalog.n_skus=24", "store.n_shelves=4", "shoppers.visits_per_day=60"])
    day = sense_day(plan_comparison(cfg))
    with pytest.raises(SensorCheckError, match=r"sensor\.clumsy .*writes into the truth"):
        check_sensor("clumsy", _Clumsy(), day.context)
    with pytest.raises(SensorCheckError, match="has no observe"):
        check_sensor("bare", object(), day.context)
    design = FacingCounterDesign("other_name")
    with pytest.raises(SystemCheckError, match="expected 'facing_counter'"):
        check_system_shape("facing_counter", design)


def test_a_sensor_or_design_without_target_is_named():
    with pytest.raises(ConfigError, match=r"sensor\.thermal: needs a _target_"):
        plan_comparison(compose_config(["+sensor.thermal.price=3"]))
    with pytest.raises(ConfigError, match=r"system\.mine: needs a _target_"):
        plan_comparison(compose_config(["+system.mine.recognizers=[weight]"]))


def test_the_readme_recognizer_example_passes_the_checker_on_the_world_the_readme_builds():
    """The README's two Python blocks, as a user pastes them: the recognizer, then its check."""
    blocks = [
        re.search(rf"<!-- {name} -->\s*```python\n(.*?)```", README, re.S)
        for name in ("recognizer-example", "recognizer-check")
    ]
    assert all(blocks), "the README lost its recognizer example"
    namespace: dict = {}
    exec(compile("".join(b.group(1) for b in blocks), "README.md", "exec"), namespace)
    assert namespace["world"].catalog.n_skus == 240  # the grocery store the block asked for
