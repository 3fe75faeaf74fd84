"""One Hydra job of a comparison, as every app that runs store-days runs it: skip it if its
metrics.json already holds this config (resume), plan and run the store-day (a progress bar on a
terminal), record a failure in a sweep and let the others go on, write metrics.json, metrics.csv
and the comparison figure, and print the table (a single run) or one line (a sweep's job)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from toolkit.comparison import run_comparison
from toolkit.comparison.progress import StageProgress
from toolkit.config import ConfigError
from toolkit.figures import comparison_figure
from toolkit.io import write_json_atomic
from toolkit.report import format_summary, metrics_table, write_csv
from toolkit.sweep import ERROR_FILE, already_done, config_hash, record_failure
from toolkit.terminal import show_debug_log

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


def comparison_job(cfg: DictConfig, extra: Mapping[str, Any] | None = None) -> None:
    """Run `cfg`'s store-day as a Hydra job; `extra` goes into metrics.json beside the metrics
    (what an app set in the config that the command line does not show)."""
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
    record.update(extra or {})
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
