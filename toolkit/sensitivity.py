"""Global sensitivity analysis (SALib): which uncertain parameters move an output, and by how much.

Morris screening ranks many parameters on few runs (r trajectories of k + 1 runs each, one
parameter moved per step): μ* is the mean absolute elementary effect, σ its spread (non-linearity
or interaction). Sobol indices (Saltelli's sampling) then split the output's variance among the
few that matter: S1 what a parameter does alone, ST with all its interactions. The parameters and
their ranges come from config; this module only designs the runs and reads their outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import morris as morris_design
from SALib.sample import sobol as sobol_design

from toolkit.config import AtLeastOne, ConfigError, Count, Flag, Range, Settings
from toolkit.figures import tornado_figure
from toolkit.io import write_text_atomic
from toolkit.sweep import records_by_point

Method = Literal["morris", "sobol"]


class Parameter(Settings):
    """One uncertain input: the config key it sets and the range its evidence spans."""

    config_path: ClassVar[str] = "sensitivity.parameters"

    key: str
    range: Range
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
    return rounded(parameters, points)


def rounded(parameters: Mapping[str, Parameter], points: np.ndarray) -> np.ndarray:
    """Points (runs, k) with the counts among the parameters rounded, as each run is given them."""
    counts = np.array([p.integer for p in parameters.values()])
    return np.where(counts, np.round(points), points)


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


class Output(Settings):
    """What a run's metrics.json gives the analysis: `design`'s `metric` minus `minus`'s (both
    designs saw the same visits, so the difference is paired)."""

    config_path: ClassVar[str] = "sensitivity.outputs"

    metric: str
    design: str
    minus: str


class SensitivitySettings(Settings):
    """The `sensitivity` section: the design, which of its points this job runs, the outputs and
    the uncertain parameters with their ranges."""

    config_path: ClassVar[str] = "sensitivity"

    design: Design
    point: Count
    outputs: dict[str, Output]
    parameters: dict[str, Parameter]


def apply_point(cfg: DictConfig, settings: SensitivitySettings) -> dict[str, float]:
    """Set the parameters of design point `settings.point` in `cfg` (in place); returns them by name.
    A point past the design, or a key the config does not have, is one ConfigError line."""
    points = design_points(settings.parameters, settings.design)
    if settings.point >= len(points):
        raise ConfigError(
            f"sensitivity.point: the design has {len(points)} points, 0 to {len(points) - 1}; "
            f"got {settings.point}"
        )
    return set_values(cfg, settings.parameters, points[settings.point], "sensitivity.parameters")


def set_values(
    cfg: DictConfig, parameters: Mapping[str, Parameter], values: Sequence[float], path: str
) -> dict[str, float]:
    """Set each parameter's key in `cfg` (in place) to its value (counts rounded); returns them by
    name. A key the config does not have is one ConfigError line naming `path`.<name>.key."""
    out = {}
    for (name, parameter), value in zip(parameters.items(), values, strict=True):
        if OmegaConf.select(cfg, parameter.key, default=None) is None:
            raise ConfigError(f"{path}.{name}.key: {parameter.key!r} is not a config value")
        out[name] = int(value) if parameter.integer else float(value)
        OmegaConf.update(cfg, parameter.key, out[name], merge=False)
    return out


def output_value(record: Mapping[str, Any], output: Output) -> float:
    """One output of one run (NaN where a design or its metric is missing)."""
    systems = record.get("systems", {})
    mine, theirs = (systems.get(name, {}).get(output.metric) for name in (output.design, output.minus))
    if not isinstance(mine, int | float) or not isinstance(theirs, int | float):
        return float("nan")
    return float(mine) - float(theirs)


def sweep_results(settings: SensitivitySettings, records: Mapping[int, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per design point: its parameter values and each output (NaN where the point's run
    is missing, failed, or ran other values than the design now gives)."""
    points = design_points(settings.parameters, settings.design)
    table = pd.DataFrame(points, columns=list(settings.parameters))
    for name in settings.outputs:
        table[name] = np.nan
    for point, record in records.items():
        ran = record.get("sensitivity", {}).get("values", {})
        if point >= len(points) or ran != dict(table.loc[point, list(settings.parameters)].to_dict()):
            continue
        for name, output in settings.outputs.items():
            table.loc[point, name] = output_value(record, output)
    return table.rename_axis("point")


class SensitivityReport(Callback):
    """Hydra callback: when the sweep of a design ends, read every point's metrics.json and write
    results.csv (parameters and outputs per point), indices.csv (each parameter's indices for each
    output, most influential first) and a tornado chart per output into <sweep>/sensitivity/. An
    incomplete design is not analysed: it says which points are missing (rerun the sweep)."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        settings = SensitivitySettings.from_config(config.sensitivity)
        results = sweep_results(settings, records_by_point(sweep_dir, "sensitivity"))
        out = sweep_dir / "sensitivity"
        write_text_atomic(out / "results.csv", results.to_csv())
        tables = []
        for name in settings.outputs:
            missing = results.index[results[name].isna()].tolist()
            if missing:
                print(
                    f"sensitivity of {name}: {len(missing)} of {len(results)} points have no output "
                    f"(e.g. {missing[:5]}); rerun the sweep to complete the design"
                )
                continue
            table = indices(
                settings.parameters,
                settings.design,
                results[list(settings.parameters)].to_numpy(),
                results[name].to_numpy(),
            )
            tables.append(table.assign(output=name).rename_axis("parameter").reset_index())
            figure = tornado_figure(table, name, settings.design, len(results), out / f"tornado_{name}")[0]
            ranking = ", ".join(table.index[:3])
            print(f"sensitivity of {name}: most influential {ranking}; tornado chart {figure}")
        if tables:
            write_text_atomic(out / "indices.csv", pd.concat(tables).to_csv(index=False))
