"""Which uncertain parameters move the verdict: a Morris (or Sobol) design over their ranges, each
point one store-day of the comparison, then the indices and a tornado chart per output.

    python experiments/sensitivity.py -m hydra/launcher=local            # the default store
    python experiments/sensitivity.py -m hydra/launcher=local sensitivity.design.runs=20
    python experiments/sensitivity.py -m sensitivity.design.method=sobol sensitivity.design.runs=64

With -m it sweeps every point of the design (`sensitivity.point=range(0,N)` is added unless given),
through any launcher, resuming and listing failures as compare.py's sweeps do; every point's
values are checked before the first runs. The parameters, their ranges and the outputs are in
configs/sensitivity.yaml. When the sweep ends: <sweep>/sensitivity/results.csv, indices.csv and
tornado_<output>.png.
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from toolkit.comparison import plan_comparison
from toolkit.comparison.job import comparison_job
from toolkit.preflight import exit_on_bad_command_line, with_every_job
from toolkit.sensitivity import SensitivitySettings, apply_point, design_points
from toolkit.terminal import take_verbose_flag


def _plan_point(cfg: DictConfig) -> None:
    """The preflight's check of one job: its point's values set, then the whole comparison planned."""
    apply_point(cfg, SensitivitySettings.from_config(cfg.sensitivity))
    plan_comparison(cfg)


def design_size(cfg: DictConfig) -> int:
    """How many points the configured design has."""
    settings = SensitivitySettings.from_config(cfg.sensitivity)
    return len(design_points(settings.parameters, settings.design))


@hydra.main(version_base="1.3", config_path="../configs", config_name="sensitivity")
def main(cfg: DictConfig) -> None:
    settings = SensitivitySettings.from_config(cfg.sensitivity)
    values = apply_point(cfg, settings)
    comparison_job(cfg, {"sensitivity": {"point": settings.point, "values": values}})


if __name__ == "__main__":
    sys.argv = take_verbose_flag(sys.argv)
    exit_on_bad_command_line("sensitivity")  # keys and options first: the design is read from them
    sys.argv = with_every_job(sys.argv, "sensitivity", "sensitivity.point", design_size)
    exit_on_bad_command_line("sensitivity", check=_plan_point)  # then every point's values
    main()
