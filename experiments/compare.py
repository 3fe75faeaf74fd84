"""Run every configured checkout system on the same simulated store-day; write metrics.json.

python experiments/compare.py                       # default: convenience store, all systems
python experiments/compare.py seed=3 system=[weight_only] sensor.loadcell.noise_g=5
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from toolkit.config import ConfigError
from toolkit.experiment import run_comparison, write_json_atomic
from toolkit.figures import comparison_figure
from toolkit.report import format_summary

log = logging.getLogger("compare")


@hydra.main(version_base="1.3", config_path="../configs", config_name="compare")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    try:
        record = run_comparison(cfg, overrides=list(hydra_cfg.overrides.task))
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)
    path = Path(hydra_cfg.runtime.output_dir) / "metrics.json"
    write_json_atomic(path, record)
    print(format_summary(record))
    figure = comparison_figure(record, path.parent / "comparison")[0]
    print(f"metrics written to {path}; comparison figure: {figure}")


if __name__ == "__main__":
    main()
