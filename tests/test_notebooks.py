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
from conftest import ROOT, run_sweep

from toolkit.notebooks import NO_SWEEPS, figures_dir, find_sweeps, no_sweeps_message, sweep_dirs

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
    presets = re.findall(r"experiment=(\w+) hydra/launcher=local", result.stdout)
    assert presets, result.stdout
    assert all((ROOT / "configs" / "experiment" / f"{p}.yaml").is_file() for p in presets), presets
    assert result.stdout.count(NO_SWEEPS) == 1
    assert no_sweeps_message([empty, absent], presets) in result.stdout
    assert not (tmp_path / "figures").exists(), "drew a figure from no data"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(notebook, tiny_sweep, tmp_path):
    assert len(jupytext.read(notebook).cells) >= 3  # a real percent-format notebook
    env = {
        **os.environ,
        "CHECKOUT_LAB_SWEEPS": str(tiny_sweep),
        "CHECKOUT_LAB_FIGURES": str(tmp_path),
        "CHECKOUT_LAB_ROOT": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, str(notebook)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(tmp_path.glob("*.png")), f"{notebook.name} drew no figure"
    assert all(unit in result.stdout for unit in UNITS.get(notebook.stem, ())), result.stdout
