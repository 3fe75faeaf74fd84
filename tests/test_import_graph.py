"""What is judged never imports the truth or the judge, not even through another module: the
import-linter contract in pyproject.toml holds (make lint runs it too)."""

from __future__ import annotations

import os

from conftest import ROOT
from importlinter.cli import lint_imports


def test_the_truth_firewall_contract_holds(capsys):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    finally:
        os.chdir(cwd)
    assert code == 0, capsys.readouterr().out[-3000:]
