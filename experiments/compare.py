"""Run every configured checkout system on the same simulated store-day; write metrics.json.

    python experiments/compare.py                       # default: convenience store, all systems
    python experiments/compare.py seed=3 system=[weight_only] sensor.loadcell.noise_g=5
    python experiments/compare.py -m seed=0,1,2 hydra/launcher=local      # a sweep on local cores

Before a sweep starts, every job's config is composed and planned, so a bad value stops it with
one line before any work. In a sweep, a job whose metrics.json already holds the same config is
skipped (rerun the same sweep directory to resume), and a job that fails while running writes
error.json and lets the others run; the sweep lists every failure at the end and exits 1.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from toolkit.comparison import plan_comparison, run_comparison
from toolkit.config import ConfigError
from toolkit.figures import comparison_figure
from toolkit.io import write_json_atomic
from toolkit.preflight import exit_on_bad_command_line
from toolkit.report import format_summary
from toolkit.sweep import ERROR_FILE, already_done, config_hash, record_failure

log = logging.getLogger("compare")


@hydra.main(version_base="1.3", config_path="../configs", config_name="compare")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    overrides = list(hydra_cfg.overrides.task)
    out_dir = Path(hydra_cfg.runtime.output_dir)
    sweeping = hydra_cfg.mode == RunMode.MULTIRUN
    digest = config_hash(cfg)
    if sweeping and already_done(out_dir, digest):
        log.info("already done, skipped: %s", " ".join(overrides))
        return
    (out_dir / ERROR_FILE).unlink(missing_ok=True)
    try:
        record = run_comparison(cfg, overrides=overrides)
    except Exception as err:
        if sweeping:
            path = record_failure(out_dir, err, overrides)
            log.error("job failed (%s: %s); error written to %s", type(err).__name__, err, path)
            return
        if isinstance(err, ConfigError):
            print(f"config error: {err}", file=sys.stderr)
            sys.exit(2)
        raise
    record["config_hash"] = digest
    path = out_dir / "metrics.json"
    write_json_atomic(path, record)
    print(format_summary(record))
    figure = comparison_figure(record, out_dir / "comparison")[0]
    print(f"metrics written to {path}; comparison figure: {figure}")


if __name__ == "__main__":
    exit_on_bad_command_line("compare", check=plan_comparison)
    main()
