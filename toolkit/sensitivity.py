"""Global sensitivity analysis (SALib): which uncertain parameters move an output, and by how much.

Morris screening ranks many parameters on few runs (r trajectories of k + 1 runs each, one
parameter moved per step): μ* is the mean absolute elementary effect, σ its spread (non-linearity
or interaction). Sobol indices (Saltelli's sampling) then split the output's variance among the
few that matter: S1 what a parameter does alone, ST with all its interactions. The parameters and
their ranges come from config; this module only designs the runs and reads their outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import morris as morris_design
from SALib.sample import sobol as sobol_design

from toolkit.config import AtLeastOne, Count, Flag, Real, Settings

Method = Literal["morris", "sobol"]


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[0] >= pair[1]:
        raise ValueError("expected [low, high] with low < high")
    return pair


class Parameter(Settings):
    """One uncertain input: the config key it sets and the range its evidence spans."""

    config_path: ClassVar[str] = "sensitivity.parameters"

    key: str
    range: Annotated[tuple[Real, Real], AfterValidator(_ordered)]
    integer: Flag = False  # a count (visits per day): each run gets the value rounded


class Design(Settings):
    """How many runs and of which kind: Morris trajectories (`runs` of them, each k + 1 runs on a
    `levels`-point grid) or Sobol base samples (`runs` × (k + 2) runs, a power of two)."""

    config_path: ClassVar[str] = "sensitivity.design"

    method: Method = "morris"
    runs: AtLeastOne = 10
    levels: AtLeastOne = 4
    seed: Count = 0


def problem(parameters: Mapping[str, Parameter]) -> dict[str, Any]:
    """SALib's problem: the parameters' names and bounds, in config order."""
    return {
        "num_vars": len(parameters),
        "names": list(parameters),
        "bounds": [list(p.range) for p in parameters.values()],
    }


def design_points(parameters: Mapping[str, Parameter], design: Design) -> np.ndarray:
    """The inputs of every run, (runs, k), with counts rounded as each run will be given them."""
    spec = problem(parameters)
    if design.method == "morris":
        points = morris_design.sample(spec, N=design.runs, num_levels=design.levels, seed=design.seed)
    else:
        points = sobol_design.sample(spec, N=design.runs, calc_second_order=False, seed=design.seed)
    rounded = np.array([p.integer for p in parameters.values()])
    return np.where(rounded, np.round(points), points)


def point_overrides(parameters: Mapping[str, Parameter], point: Sequence[float]) -> list[str]:
    """One run's command-line overrides: `key=value` for every parameter."""
    return [
        f"{p.key}={int(value) if p.integer else float(value)!r}"
        for p, value in zip(parameters.values(), point, strict=True)
    ]


def indices(
    parameters: Mapping[str, Parameter], design: Design, points: np.ndarray, outputs: np.ndarray
) -> pd.DataFrame:
    """Each parameter's indices for one output, most influential first: Morris μ*, its 95 %
    confidence half-width, μ and σ; or Sobol S1 and ST with theirs. Rows whose output is missing
    make the design incomplete: refuse rather than rank on part of it."""
    if not np.all(np.isfinite(outputs)):
        raise ValueError(f"{int((~np.isfinite(outputs)).sum())} of {outputs.size} runs have no output")
    spec = problem(parameters)
    if design.method == "morris":
        found = morris_analysis.analyze(
            spec, points, outputs, num_levels=design.levels, seed=design.seed, print_to_console=False
        )
        table = pd.DataFrame(
            {key: found[key] for key in ("mu_star", "mu_star_conf", "mu", "sigma")}, index=spec["names"]
        )
        return table.sort_values("mu_star", ascending=False)
    found = sobol_analysis.analyze(
        spec, outputs, calc_second_order=False, seed=design.seed, print_to_console=False
    )
    table = pd.DataFrame({key: found[key] for key in ("S1", "S1_conf", "ST", "ST_conf")}, index=spec["names"])
    return table.sort_values("ST", ascending=False)
