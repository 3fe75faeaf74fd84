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
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig

from toolkit.comparison import plan_comparison
from toolkit.comparison.job import comparison_job
from toolkit.preflight import CONFIG_DIR, exit_on_bad_command_line
from toolkit.sensitivity import SensitivitySettings, apply_point, design_points
from toolkit.terminal import take_verbose_flag

POINT = "sensitivity.point"


def _plan_point(cfg: DictConfig) -> None:
    """The preflight's check of one job: its point's values set, then the whole comparison planned."""
    apply_point(cfg, SensitivitySettings.from_config(cfg.sensitivity))
    plan_comparison(cfg)


def with_every_point(argv: list[str]) -> list[str]:
    """A sweep (-m) without its own `sensitivity.point=...` runs every point of the design."""
    args = argv[1:]
    if ("-m" not in args and "--multirun" not in args) or any(a.startswith(f"{POINT}=") for a in args):
        return argv
    lines = [a for a in args if not a.startswith("-")]
    overrides = OverridesParser.create().parse_overrides(lines)  # the preflight has vetted them
    # the design as the first job composes it (another swept setting cannot change its size)
    plain = [o.input_line for o in overrides if not o.is_sweep_override() and not o.is_hydra_override()]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="sensitivity", overrides=plain)
    settings = SensitivitySettings.from_config(cfg.sensitivity)
    size = len(design_points(settings.parameters, settings.design))
    return [*argv, f"{POINT}=range(0,{size})"]


@hydra.main(version_base="1.3", config_path="../configs", config_name="sensitivity")
def main(cfg: DictConfig) -> None:
    settings = SensitivitySettings.from_config(cfg.sensitivity)
    values = apply_point(cfg, settings)
    comparison_job(cfg, {"sensitivity": {"point": settings.point, "values": values}})


if __name__ == "__main__":
    sys.argv = take_verbose_flag(sys.argv)
    exit_on_bad_command_line("sensitivity")  # keys and options first: the design is read from them
    sys.argv = with_every_point(sys.argv)
    exit_on_bad_command_line("sensitivity", check=_plan_point)  # then every point's values
    main()
