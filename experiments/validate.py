"""Validate the toolkit's models against real public data and print one table, one row per check.

    python experiments/validate.py                        # every check (make validate)
    python experiments/validate.py 'only=[aifi]'          # one check
    CHECKOUT_LAB_DATA=/data/real python experiments/validate.py

Writes validation.csv, validation.md and figures/ into the run folder; a check whose data folder
is missing is skipped with its reason.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from toolkit.config import ConfigError, build_from_config, did_you_mean
from toolkit.preflight import exit_on_bad_command_line
from toolkit.real_data import resolve_data_root
from toolkit.terminal import show_debug_log, take_verbose_flag
from toolkit.validation.runner import run_all, terminal_table


@hydra.main(version_base="1.3", config_path="../configs", config_name="validate")
def main(cfg: DictConfig) -> None:
    if HydraConfig.get().verbose:  # Hydra's DEBUG lines to the terminal too
        show_debug_log()
    start = time.perf_counter()
    names = list(cfg.get("validation") or {})
    try:
        chosen = names if cfg.only is None else [str(n) for n in cfg.only]
        for name in chosen:
            if name not in names:
                hint = did_you_mean(name, names)
                raise ConfigError(f"only: unknown check {name!r}{hint}; allowed: {', '.join(names)}")
        checks = {name: build_from_config(cfg.validation[name], f"validation.{name}") for name in chosen}
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)
    root = resolve_data_root(str(cfg.data_root))
    out = Path(HydraConfig.get().runtime.output_dir)
    print(f"validating {len(checks)} check(s) against the real data in {root}")
    report = run_all(checks, root, out)
    print(terminal_table(report.rows))
    for skip in report.skips:
        print(f"{skip.check}: skipped: {skip.reason}")
    for failure in report.failures:
        print(f"{failure.check}: failed: {failure.reason}", file=sys.stderr)
    print(report.summary())
    print("seconds per check: " + ", ".join(f"{name} {t:.0f}" for name, t in report.seconds.items()))
    print(f"{time.perf_counter() - start:.0f} s; table and figures in {out}")
    if report.failures:
        sys.exit(1)


if __name__ == "__main__":
    sys.argv = take_verbose_flag(sys.argv)
    exit_on_bad_command_line("validate")
    main()
