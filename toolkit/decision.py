"""Which design should this store buy: the lowest cost per correct receipt at a target accuracy,
how likely it stays the cheapest when the uncertain parameters move over their ranges, and which
of them would most likely change the answer.

A decision is one sweep of store-days (any launcher, resumed, failures listed as compare.py's
are): `nominal_days` days of the store as configured (day seeds `seed`, `seed` + 1, ...), then
`draws` days with the uncertain parameters drawn by Latin hypercube over their ranges, each on a
day of its own, so the day-to-day noise counts in the probability as it would in the store. Every
design is compared at the target share of exact receipts (toolkit/metrics/equal_accuracy.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf
from pydantic import Field
from SALib.sample import latin
from scipy import stats

from toolkit.config import AtLeastOne, ConfigError, Count, Probability, Settings
from toolkit.figures import LABELS, draw_decision, save
from toolkit.io import write_text_atomic
from toolkit.metrics.equal_accuracy import target_prefix
from toolkit.report import t_interval
from toolkit.sensitivity import Parameter, problem, rounded, set_values
from toolkit.sweep import records_by_point


class DecideSettings(Settings):
    """The `decide` section: the target and what is minimised there, how many nominal days and
    Monte Carlo draws, which job this is, and the uncertain parameters with their ranges."""

    config_path: ClassVar[str] = "decide"

    target: Probability
    metric: Literal["cost_per_correct_receipt", "cost_per_visit"] = "cost_per_correct_receipt"
    nominal_days: AtLeastOne = 5
    draws: AtLeastOne = 30
    seed: Count = 0  # the Latin hypercube's draw (the days keep their own seeds)
    point: Count = 0
    parameters: dict[str, Parameter] = Field(min_length=1)

    @property
    def jobs(self) -> int:
        return self.nominal_days + self.draws

    @property
    def key(self) -> str:
        """The metric every design is compared on: `metric` at the target."""
        return f"{target_prefix(self.target)}{self.metric}"


def drawn_values(settings: DecideSettings) -> np.ndarray:
    """The uncertain parameters of every draw, (draws, k), counts rounded."""
    points = latin.sample(problem(settings.parameters), N=settings.draws, seed=settings.seed)
    return rounded(settings.parameters, points)


def apply_job(cfg: DictConfig, settings: DecideSettings) -> dict[str, Any]:
    """Set job `settings.point`'s day seed and, for a draw, its parameter values in `cfg` (in
    place); returns what metrics.json records of it. A point past the sweep or a target the
    comparison does not cost is one ConfigError line."""
    if settings.point >= settings.jobs:
        raise ConfigError(
            f"decide.point: {settings.nominal_days} nominal days and {settings.draws} draws make "
            f"{settings.jobs} jobs, 0 to {settings.jobs - 1}; got {settings.point}"
        )
    targets = list(OmegaConf.select(cfg, "equal_accuracy.targets", default=[]) or [])
    if settings.target not in targets:
        raise ConfigError(f"decide.target: {settings.target} is not one of equal_accuracy.targets {targets}")
    OmegaConf.update(cfg, "seed", int(cfg.seed) + settings.point, merge=False)
    values: dict[str, float] = {}
    if settings.point >= settings.nominal_days:
        row = drawn_values(settings)[settings.point - settings.nominal_days]
        values = set_values(cfg, settings.parameters, row, "decide.parameters")
    kind = "nominal" if settings.point < settings.nominal_days else "draw"
    return {"point": settings.point, "kind": kind, "values": values}


@dataclass(frozen=True)
class Decision:
    """What `decide.py` prints: per design its nominal cost at the target (mean, t-interval, days
    reaching it), the winner and its paired margin over the runner-up, every draw's costs and
    winner, the probability the winner stays the winner (Clopper–Pearson interval), and the
    parameters that would most likely change the answer."""

    settings: DecideSettings
    nominal: pd.DataFrame
    winner: str | None
    runner_up: str | None
    margin: tuple[float, float, int]  # runner-up minus winner per nominal day: mean, half-width, n
    day_wins: int  # nominal days on which the winner was the cheapest: day-to-day noise alone
    draws: pd.DataFrame
    stays: tuple[int, int, float, float]  # draws the winner wins, draws with a result, 95 % interval
    drivers: pd.DataFrame


def _mean_and_half(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95 % t half-width (NaN where there are too few values)."""
    half = t_interval(values)
    return (float(values.mean()) if values.size else np.nan, np.nan if half is None else half)


def _costs(records: Mapping[int, Mapping[str, Any]], key: str) -> pd.DataFrame:
    """One row per job, one column per design: its metric at the target (NaN: not reached)."""
    rows = {}
    for point, record in records.items():
        rows[point] = {
            name: float(m[key]) if isinstance(m.get(key), int | float) else np.nan
            for name, m in record["systems"].items()
        }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def analyse(settings: DecideSettings, records: Mapping[int, Mapping[str, Any]]) -> Decision:
    """The decision from every job's metrics.json record, by point (a missing job is left out and
    shows in the counts)."""
    costs = _costs(records, settings.key)
    nominal_costs = costs[costs.index < settings.nominal_days]
    summary = []
    for name in costs.columns:
        values = nominal_costs[name].dropna().to_numpy()
        mean, half = _mean_and_half(values)
        summary.append(
            {
                "design": name,
                "mean": mean,
                "half_width": half,
                "days": len(nominal_costs),
                "reached": values.size,
            }
        )
    nominal = pd.DataFrame(summary).set_index("design").sort_values("mean")
    eligible = nominal[(nominal["reached"] == nominal["days"]) & (nominal["days"] > 0)]
    winner = str(eligible.index[0]) if len(eligible) else None
    runner_up = str(eligible.index[1]) if len(eligible) > 1 else None
    margin = (np.nan, np.nan, 0)
    if winner and runner_up:
        paired = (nominal_costs[runner_up] - nominal_costs[winner]).dropna().to_numpy()
        margin = (*_mean_and_half(paired), paired.size)

    values = pd.DataFrame.from_dict(
        {p: r["decide"]["values"] for p, r in records.items() if p >= settings.nominal_days}, orient="index"
    )  # the values each draw ran with, as its metrics.json recorded them
    drawn = values.reindex(columns=list(settings.parameters)).join(costs, how="inner").sort_index()
    design_costs = drawn[list(costs.columns)]
    drawn["winner"] = design_costs.fillna(np.inf).idxmin(axis=1).where(design_costs.notna().any(axis=1))
    if winner is not None:
        others = design_costs.drop(columns=[winner]).min(axis=1).fillna(np.inf)
        drawn["margin"] = others - design_costs[winner].fillna(np.inf)  # < 0: the winner lost
    decided = drawn["winner"].notna()
    wins = int((drawn.loc[decided, "winner"] == winner).sum())
    interval = stats.binomtest(wins, int(decided.sum())).proportion_ci() if decided.any() else None
    stays = (wins, int(decided.sum()), *(interval if interval else (np.nan, np.nan)))
    day_wins = 0
    if winner is not None:
        day_wins = int((nominal_costs.fillna(np.inf).idxmin(axis=1) == winner).sum())
    return Decision(
        settings,
        nominal,
        winner,
        runner_up,
        margin,
        day_wins,
        drawn,
        stays,
        drivers(settings, drawn, winner),
    )


def drivers(settings: DecideSettings, drawn: pd.DataFrame, winner: str | None) -> pd.DataFrame:
    """Each parameter's pull on the winner's margin over the draws, strongest first: Spearman's
    ρ between the parameter and the margin (ranks, so a design that cannot reach the target
    counts as the dearest; draws no design reaches are left out), its p-value (one of as many
    tests as parameters: unadjusted), and how often the winner loses when the parameter is in
    the third of its range that is worst for it."""
    columns = ["rho", "p_value", "worst_third", "loses_there", "draws_there"]
    if winner is None or "margin" not in drawn:
        return pd.DataFrame(columns=columns)
    drawn = drawn[drawn["winner"].notna()]
    if len(drawn) < 3:
        return pd.DataFrame(columns=columns)
    lost = drawn["winner"] != winner
    rows = {}
    for name, parameter in settings.parameters.items():
        rho, p_value = stats.spearmanr(drawn[name], drawn["margin"], nan_policy="omit")
        low, high = parameter.range
        third = (high - low) / 3.0
        worst = drawn[name] >= high - third if rho < 0 else drawn[name] <= low + third
        lo, hi = (high - third, high) if rho < 0 else (low, low + third)
        rows[name] = {
            "rho": rho,
            "p_value": p_value,
            "worst_third": f"{lo:.3g}-{hi:.3g}",
            "loses_there": int(lost[worst].sum()),
            "draws_there": int(worst.sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")
    return table.reindex(table["rho"].abs().sort_values(ascending=False, na_position="last").index)


def format_decision(decision: Decision) -> list[str]:
    """The answer in a few lines: the winner with its cost and margin, the probability it stays
    the winner, and the three parameters most likely to change that."""
    s = decision.settings
    what = f"{s.metric.replace('_', ' ')} (USD, mean ± 95 % t-interval) at {s.target:.0%} exact receipts"
    lines = [f"{what}, over {_days(decision)}:"]
    for name, row in decision.nominal.iterrows():
        days, reached = int(row["days"]), int(row["reached"])
        short = "" if reached == days else f" (reaches it on {reached} of {days} days)"
        cost = "cannot reach it" if np.isnan(row["mean"]) else f"{row['mean']:.3f} ± {row['half_width']:.3f}"
        lines.append(f"  {name:<28} {cost}{short}")
    if decision.winner is None:
        return [*lines, "no design reaches the target on every nominal day: no winner"]
    mean, half, n = decision.margin
    runner = ""
    if n == 1:
        runner = f"; {decision.runner_up} costs {mean:.3f} USD more (one day, no interval)"
    elif n > 1:
        runner = f"; {decision.runner_up} costs {mean:.3f} ± {half:.3f} USD more (paired, {n} days)"
        if not abs(mean) > half:
            runner += ", an interval that holds 0: no clear winner on these days"
    days = int(decision.nominal["days"].max())
    lines.append(f"winner: {decision.winner}{runner}; the cheapest on {decision.day_wins} of {days} days")
    wins, n_draws, lo, hi = decision.stays
    lines.append(
        f"it stays the winner in {wins} of {n_draws} draws of the uncertain parameters "
        f"({wins / max(n_draws, 1):.0%}, 95 % interval {lo:.0%}-{hi:.0%}; each draw is one day, so this "
        "holds day-to-day noise too)"
    )
    for name, row in decision.drivers.head(3).iterrows():
        lines.append(
            f"  {name}: ρ {row['rho']:+.2f} (p {row['p_value']:.2g}); with it at {row['worst_third']} "
            f"the winner loses {row['loses_there']} of {row['draws_there']} draws"
        )
    return lines


def _days(decision: Decision) -> str:
    days = int(decision.nominal["days"].max()) if len(decision.nominal) else 0
    return f"{days} days of the store as configured"


def from_sweep(sweep_dir: Path) -> Decision:
    """The decision of a decide.py sweep (finished or not), with the settings its jobs ran."""
    configs = sorted(sweep_dir.glob("*/.hydra/config.yaml"))
    if not configs:
        raise FileNotFoundError(f"{sweep_dir}: no decide.py job here")
    job = OmegaConf.load(configs[0])
    if "decide" not in job:
        raise ValueError(f"{configs[0]}: not a decide.py job (no decide section)")
    settings = DecideSettings.from_config(OmegaConf.to_container(job.decide, resolve=True))
    return analyse(settings, records_by_point(sweep_dir, "decide"))


def draw(decision: Decision) -> Any:
    """The decision's figure (toolkit.figures.draw_decision), each parameter on its own axis label."""
    s = decision.settings
    labels = {name: LABELS.get(p.key, f"{name} ({p.key})") for name, p in s.parameters.items()}
    metric = s.metric.replace("_", " ")
    return draw_decision(
        decision.nominal, decision.draws, decision.drivers, decision.winner, s.target, labels, metric
    )


def write_decision(decision: Decision, out: Path) -> list[str]:
    """nominal.csv, draws.csv, drivers.csv, decision.txt and the figure (decision.png, .pdf)
    into `out`; returns the lines."""
    lines = format_decision(decision)
    save(draw(decision), out / "decision")
    write_text_atomic(out / "nominal.csv", decision.nominal.to_csv())
    write_text_atomic(out / "draws.csv", decision.draws.rename_axis("point").to_csv())
    write_text_atomic(out / "drivers.csv", decision.drivers.to_csv())
    write_text_atomic(out / "decision.txt", "\n".join(lines) + "\n")
    return lines


class DecisionReport(Callback):
    """Hydra callback: when a decision's sweep ends, analyse every job's metrics.json and print
    and write the decision into <sweep>/decision/."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        settings = DecideSettings.from_config(config.decide)
        records = records_by_point(sweep_dir, "decide")
        missing = sorted(set(range(settings.jobs)) - set(records))
        if missing:
            print(f"decision: {len(missing)} of {settings.jobs} jobs have no result (e.g. {missing[:5]})")
        if not records:
            return
        for line in write_decision(analyse(settings, records), sweep_dir / "decision"):
            print(line)
