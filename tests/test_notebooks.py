"""Every notebook runs top to bottom on a tiny sweep the test runs itself."""

from __future__ import annotations

import os
import subprocess
import sys

import jupytext
import pytest
from conftest import ROOT, run_sweep

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


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
