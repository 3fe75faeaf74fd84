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

import sys

import hydra
from omegaconf import DictConfig

from toolkit.comparison import plan_comparison
from toolkit.comparison.job import comparison_job
from toolkit.preflight import exit_on_bad_command_line
from toolkit.terminal import take_verbose_flag


@hydra.main(version_base="1.3", config_path="../configs", config_name="compare")
def main(cfg: DictConfig) -> None:
    comparison_job(cfg)


if __name__ == "__main__":
    sys.argv = take_verbose_flag(sys.argv)
    exit_on_bad_command_line("compare", check=plan_comparison)
    main()
