"""Where the notebooks (`notebooks/*.py`) find their sweeps and put their figures.

Jupyter starts a notebook's kernel in `notebooks/`, a script runs from wherever it is called: so
every path is taken from the repository root, never from the current folder. The root is the
checkout this package is installed from (the project is installed editable). Environment
overrides, relative paths in them taken from the root as well:

- CHECKOUT_LAB_ROOT: another checkout (its `configs/` and `multirun/`);
- CHECKOUT_LAB_SWEEPS: sweep directories of one's own, separated by `os.pathsep`;
- CHECKOUT_LAB_FIGURES: where the figures go (default `notebooks/figures`).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

# the first words of what every notebook prints when a sweep it reads has not been run
NO_SWEEPS = "No sweep to read"
# sweeps an app of their own makes (not compare.py's presets): the command that makes each
APP_SWEEPS = {"decide": ".venv/bin/python experiments/decide.py -m hydra/launcher=local"}


def repo_root() -> Path:
    """CHECKOUT_LAB_ROOT, else the checkout above this package."""
    return Path(os.environ.get("CHECKOUT_LAB_ROOT", Path(__file__).resolve().parents[1])).resolve()


def from_root(path: str | Path) -> Path:
    """A path as given when absolute, else under the repository root (not the current folder)."""
    return repo_root() / Path(path).expanduser()


def sweep_dirs(presets: Sequence[str]) -> list[Path]:
    """CHECKOUT_LAB_SWEEPS, else the presets' own sweep directories (their `hydra.sweep.dir`)."""
    listed = os.environ.get("CHECKOUT_LAB_SWEEPS")
    names = listed.split(os.pathsep) if listed else [f"multirun/{preset}" for preset in presets]
    return [from_root(name) for name in names if name]


def figures_dir() -> Path:
    """Where the notebooks draw: CHECKOUT_LAB_FIGURES, else `notebooks/figures` (ignored by git)."""
    return from_root(os.environ.get("CHECKOUT_LAB_FIGURES", "notebooks/figures"))


def no_sweeps_message(missing: Sequence[Path], presets: Sequence[str]) -> str:
    """The one message for absent sweeps, with the commands that make them: the presets write to
    `multirun/` under the folder they run in, hence the `cd`."""
    commands = "".join(
        f"  {APP_SWEEPS[preset]}\n"
        if preset in APP_SWEEPS
        else f"  .venv/bin/python experiments/compare.py -m experiment={preset} hydra/launcher=local\n"
        for preset in presets
    )
    return (
        f"{NO_SWEEPS}: no metrics.json under {', '.join(map(str, missing))}.\n"
        "Make the sweeps in a terminal, from the repository root:\n"
        f"  cd {shlex.quote(str(repo_root()))}\n"
        "  make figures   # every figure preset and its report, about 20 minutes on 2 cores\n"
        f"or only this notebook's:\n{commands}"
        f"or point CHECKOUT_LAB_SWEEPS at sweep directories of your own, separated by '{os.pathsep}'."
    )


def find_sweeps(*presets: str) -> list[Path]:
    """The sweep directories that hold runs. Prints how to make the others, so that a notebook
    without them draws what it can instead of failing (printed, as `figures.show` does: a
    notebook shows its output but configures no logging)."""
    dirs = sweep_dirs(presets)
    present = [d for d in dirs if d.is_dir() and any(d.rglob("metrics.json"))]
    if len(present) < len(dirs):
        print(no_sweeps_message([d for d in dirs if d not in present], presets))
    return present


def job_folders(dirs: Sequence[Path]) -> list[Path]:
    """The sweeps under `dirs`, newest first: every folder that holds job folders with a
    metrics.json (an app's sweeps lie a date and a time deeper than its `multirun/<app>`)."""
    found = {m.parent.parent for d in dirs for m in d.rglob("*/metrics.json")}
    return sorted(found, key=lambda d: d.stat().st_mtime, reverse=True)
