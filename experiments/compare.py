"""Run every configured checkout system on the same simulated store-day; write metrics.json.

    python experiments/compare.py                       # default: convenience store, all systems
    python experiments/compare.py seed=3 system=[weight_only] sensor.loadcell.noise_g=5
    python experiments/compare.py -m seed=0,1,2 hydra/launcher=local      # a sweep on local cores
    python experiments/compare.py -v                    # the full log on the terminal too

A single run prints one line on what it simulates, a progress bar over the store-day's stages (on
a terminal), then the results table cut to 120 columns; metrics.json, metrics.csv (every metric of
every design) and the log (compare.log) are in its run directory. A sweep's job prints one line.

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
from omegaconf import DictConfig, OmegaConf

from toolkit.comparison import plan_comparison, run_comparison
from toolkit.comparison.progress import StageProgress
from toolkit.config import ConfigError
from toolkit.figures import comparison_figure
from toolkit.io import write_json_atomic
from toolkit.preflight import exit_on_bad_command_line
from toolkit.report import format_summary, metrics_table, write_csv
from toolkit.sweep import ERROR_FILE, already_done, config_hash, record_failure
from toolkit.terminal import show_debug_log, take_verbose_flag

log = logging.getLogger("compare")


def _what(cfg: DictConfig) -> str:
    """One line on the store-day about to be simulated."""
    catalog = OmegaConf.select(cfg, "catalog.name", default=None) or "configured"
    return (
        f"simulating {cfg.shoppers.visits_per_day} visits to the {catalog} store "
        f"(store_seed {cfg.store_seed}, day seed {cfg.seed}) for {len(cfg.system)} design(s)"
    )


def _shown(path: Path) -> Path:
    """A path as short as the user can use it: relative to where they stand, if it is below."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


@hydra.main(version_base="1.3", config_path="../configs", config_name="compare")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.verbose:
        show_debug_log()
    overrides = list(hydra_cfg.overrides.task)
    out_dir = Path(hydra_cfg.runtime.output_dir)
    sweeping = hydra_cfg.mode == RunMode.MULTIRUN
    digest = config_hash(cfg)
    (out_dir / ERROR_FILE).unlink(missing_ok=True)  # a failure of an earlier sweep is not this one's
    if sweeping and already_done(out_dir, digest):
        print(f"already done, skipped: {' '.join(overrides)}")
        return
    for stale in ("metrics.json", "metrics.csv"):  # an older config's result must not outlive a kill
        (out_dir / stale).unlink(missing_ok=True)
    if not sweeping:
        print(_what(cfg))
    progress = StageProgress() if not sweeping else None
    try:
        record = run_comparison(cfg, overrides=overrides, clock=progress)
    except Exception as err:
        if sweeping:
            path = record_failure(out_dir, err, overrides)
            log.error("job failed (%s: %s); error written to %s", type(err).__name__, err, path)
            return
        if isinstance(err, ConfigError):
            print(f"config error: {err}", file=sys.stderr)
            sys.exit(2)
        raise
    finally:
        if progress is not None:
            progress.close()
    record["config_hash"] = digest
    path = out_dir / "metrics.json"
    write_json_atomic(path, record)
    write_csv(metrics_table(record), out_dir / "metrics.csv")
    figure = comparison_figure(record, out_dir / "comparison")[0]
    if sweeping:
        print(f"{' '.join(overrides)}: {path}")
        return
    print(format_summary(record))
    print(f"written to {_shown(out_dir)}/: {path.name}, metrics.csv, {figure.name}, {hydra_cfg.job.name}.log")


if __name__ == "__main__":
    sys.argv = take_verbose_flag(sys.argv)
    exit_on_bad_command_line("compare", check=plan_comparison)
    main()
