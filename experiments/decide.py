"""Which design should this store buy: the lowest cost per correct receipt at a target share of
exact receipts, the probability that it stays the cheapest when the uncertain parameters vary
over their ranges (Monte Carlo), and the three parameters that would most likely change it.

    python experiments/decide.py -m hydra/launcher=local                          # the default store
    python experiments/decide.py -m hydra/launcher=local catalog=aifi store=aifi \
        shoppers.visits_per_day=300 ranges@decide.parameters=aifi                  # the AiFi Nanostore
    python experiments/decide.py -m decide.target=0.99 decide.draws=60

With -m it runs every job (`decide.point=range(0,N)` is added unless given): the nominal days,
then the draws, through any launcher, resuming and listing failures as compare.py's sweeps do;
every job's values are checked before the first runs. When the sweep ends the decision is
printed and written to <sweep>/decision/ (decision.txt, nominal.csv, draws.csv, drivers.csv).
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from toolkit.comparison import plan_comparison
from toolkit.comparison.job import comparison_job
from toolkit.decision import DecideSettings, apply_job
from toolkit.preflight import exit_on_bad_command_line, with_every_job
from toolkit.terminal import take_verbose_flag


def _plan_job(cfg: DictConfig) -> None:
    """The preflight's check of one job: its day and values set, then the whole comparison planned."""
    apply_job(cfg, DecideSettings.from_config(cfg.decide))
    plan_comparison(cfg)


def job_count(cfg: DictConfig) -> int:
    return DecideSettings.from_config(cfg.decide).jobs


@hydra.main(version_base="1.3", config_path="../configs", config_name="decide")
def main(cfg: DictConfig) -> None:
    comparison_job(cfg, {"decide": apply_job(cfg, DecideSettings.from_config(cfg.decide))})


if __name__ == "__main__":
    sys.argv = take_verbose_flag(sys.argv)
    exit_on_bad_command_line("decide")  # keys and options first: the number of jobs is read from them
    sys.argv = with_every_job(sys.argv, "decide", "decide.point", job_count)
    exit_on_bad_command_line("decide", check=_plan_job)  # then every job's values
    main()
