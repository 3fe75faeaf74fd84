"""Every notebook runs top to bottom on a tiny sweep the test runs itself, and without sweeps says
how to make them, wherever it is started from."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
from conftest import ROOT, compose_config, run_sweep

from toolkit.notebooks import (
    APP_SWEEPS,
    NO_SWEEPS,
    figures_dir,
    find_sweeps,
    job_folders,
    no_sweeps_message,
    sweep_dirs,
)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
OVERRIDES = ("CHECKOUT_LAB_SWEEPS", "CHECKOUT_LAB_FIGURES", "CHECKOUT_LAB_ROOT")
# the units a notebook's printed tables carry in their headers
UNITS = {"costs": ("thousand USD per year", "USD per visit")}


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("notebook_sweep")
    result = run_sweep(
        out, "hydra/launcher=local", "shoppers.visits_per_day=100,200", "decision.review_threshold=0,0.9"
    )
    assert result.returncode == 0, result.stderr
    return out


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4


@pytest.fixture
def in_notebooks_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where Jupyter starts a notebook's kernel, with none of the overrides set."""
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT / "notebooks")


@pytest.mark.usefixtures("in_notebooks_folder")
def test_default_paths_are_under_the_repository_root():
    assert sweep_dirs(["break_even", "data_yield"]) == [
        ROOT / "multirun" / "break_even",
        ROOT / "multirun" / "data_yield",
    ]
    assert figures_dir() == ROOT / "notebooks" / "figures"


@pytest.mark.usefixtures("in_notebooks_folder")
def test_relative_overrides_are_taken_from_the_repository_root(monkeypatch, tmp_path):
    monkeypatch.setenv("CHECKOUT_LAB_SWEEPS", os.pathsep.join(["multirun/mine", str(tmp_path), ""]))
    monkeypatch.setenv("CHECKOUT_LAB_FIGURES", "figs")
    assert sweep_dirs(["break_even"]) == [ROOT / "multirun" / "mine", tmp_path]
    assert figures_dir() == ROOT / "figs"
    monkeypatch.setenv("CHECKOUT_LAB_ROOT", str(tmp_path))
    assert figures_dir() == tmp_path / "figs"


@pytest.mark.usefixtures("in_notebooks_folder")
def test_find_sweeps_keeps_the_sweeps_with_runs_and_names_the_others(monkeypatch, tmp_path, capsys):
    done, empty, absent = tmp_path / "done", tmp_path / "empty", tmp_path / "absent"
    (done / "0").mkdir(parents=True)
    (done / "0" / "metrics.json").write_text("{}")
    empty.mkdir()
    monkeypatch.setenv("CHECKOUT_LAB_SWEEPS", os.pathsep.join(map(str, [done, empty, absent])))
    assert find_sweeps("break_even") == [done]
    assert capsys.readouterr().out == no_sweeps_message([empty, absent], ["break_even"]) + "\n"
    monkeypatch.setenv("CHECKOUT_LAB_SWEEPS", str(done))
    assert find_sweeps("break_even") == [done]
    assert capsys.readouterr().out == ""


@pytest.mark.e2e
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_without_sweeps_says_how_to_make_them(notebook: Path, tmp_path: Path):
    """Started in `notebooks/` as Jupyter does, on an empty sweep and a missing one: the shared
    message with commands for real presets, and no failure."""
    empty, absent = tmp_path / "empty", tmp_path / "absent"
    empty.mkdir()
    env = {name: value for name, value in os.environ.items() if name not in OVERRIDES}
    env["CHECKOUT_LAB_SWEEPS"] = os.pathsep.join(map(str, [empty, absent]))
    env["CHECKOUT_LAB_FIGURES"] = str(tmp_path / "figures")
    result = subprocess.run(
        [sys.executable, str(notebook)],
        capture_output=True,
        text=True,
        cwd=ROOT / "notebooks",
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    presets = re.findall(r"(?:experiment=|experiments/)(\w+)(?:\.py -m)? hydra/launcher=local", result.stdout)
    assert presets, result.stdout
    made = [ROOT / "configs" / "experiment" / f"{p}.yaml" for p in presets if p not in APP_SWEEPS]
    assert all(path.is_file() for path in made), presets
    assert all((ROOT / "experiments" / f"{p}.py").is_file() for p in presets if p in APP_SWEEPS), presets
    assert result.stdout.count(NO_SWEEPS) == 1
    assert no_sweeps_message([empty, absent], presets) in result.stdout
    assert not (tmp_path / "figures").exists(), "drew a figure from no data"


@pytest.fixture(scope="module")
def tiny_decision(tmp_path_factory):
    """A decide.py sweep of two nominal days and three draws of one parameter on the tiny store."""
    out = tmp_path_factory.mktemp("decision_sweep")
    command = [sys.executable, str(ROOT / "experiments" / "decide.py"), "-m", f"hydra.sweep.dir={out}"]
    command += ["debug=tiny", "decide.nominal_days=2", "decide.draws=3", "sensor.presence.mode=direct"]
    command += ["hydra/launcher=local", "system=[weight_only,rfid_gate]", "ranges@decide.parameters=default"]
    ranges = compose_config(config_name="decide").decide.parameters
    command += [f"~decide.parameters.{name}" for name in ranges if name != "camera_density"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    return out


def test_job_folders_are_the_sweeps_under_an_apps_folder_newest_first(tmp_path):
    for sweep in ("2026-01-01/10-00-00", "2026-01-02/09-00-00"):
        (tmp_path / sweep / "0").mkdir(parents=True)
        (tmp_path / sweep / "0" / "metrics.json").write_text("{}")
    os.utime(tmp_path / "2026-01-01/10-00-00", (0, 0))
    assert job_folders([tmp_path]) == [tmp_path / "2026-01-02/09-00-00", tmp_path / "2026-01-01/10-00-00"]


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(notebook, request, tmp_path):
    assert len(jupytext.read(notebook).cells) >= 3  # a real percent-format notebook
    sweep = request.getfixturevalue("tiny_decision" if notebook.stem == "decision" else "tiny_sweep")
    env = {
        **os.environ,
        "CHECKOUT_LAB_SWEEPS": str(sweep),
        "CHECKOUT_LAB_FIGURES": str(tmp_path),
        "CHECKOUT_LAB_ROOT": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, str(notebook)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(tmp_path.glob("*.png")), f"{notebook.name} drew no figure"
    assert all(unit in result.stdout for unit in UNITS.get(notebook.stem, ())), result.stdout
