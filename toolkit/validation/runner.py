"""Run validation checks, collect their rows and skips, and write the table (CSV and Markdown)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit.io import write_text_atomic
from toolkit.validation.base import Check, DataMissing, Row, Skip, data_folder

log = logging.getLogger(__name__)

COLUMNS = ("check", "statistic", "real", "simulated", "tolerance", "unit", "passed")


@dataclass
class ValidationReport:
    rows: list[Row] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    failures: list[Skip] = field(default_factory=list)  # checks whose data could not be read
    seconds: dict[str, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """Every row with every field (the CSV), skips as rows with no numbers."""
        records = [row.record() for row in self.rows]
        records += [{"check": s.check, "statistic": f"skipped: {s.reason}"} for s in self.skips]
        records += [{"check": s.check, "statistic": f"failed: {s.reason}"} for s in self.failures]
        return pd.DataFrame.from_records(records)

    def summary(self) -> str:
        passed = sum(row.passed for row in self.rows)
        return (
            f"{passed} of {len(self.rows)} rows within tolerance, "
            f"{len(self.rows) - passed} outside, {len(self.skips)} check(s) skipped"
            + (f", {len(self.failures)} failed on unreadable data" if self.failures else "")
        )


def run_all(checks: Mapping[str, Check], data_root: Path, out: Path) -> ValidationReport:
    """Run every check (figures into `out/figures`) and write `out/validation.csv` and `.md`."""
    report = ValidationReport()
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    for name, check in checks.items():
        start = time.perf_counter()
        try:
            data = data_folder(data_root, check.folder) if check.folder else None
            report.rows.extend(check.run(data, figures))
        except (DataMissing, FileNotFoundError) as why:  # a folder, or a file in it, is absent
            report.skips.append(Skip(name, str(why)))
            log.warning("%s skipped: %s", name, why)
        except ValueError as why:  # data that is there but unreadable: say so, run the other checks
            report.failures.append(Skip(name, str(why).splitlines()[0]))
            log.error("%s failed: %s", name, why)
        report.seconds[name] = time.perf_counter() - start
    write_text_atomic(out / "validation.csv", report.table().to_csv(index=False))
    write_text_atomic(out / "validation.md", markdown(report))
    return report


def _number(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f} %"
    return f"{value:.3g} {unit}".strip()


def markdown(report: ValidationReport) -> str:
    """The table as Markdown (the README's copy): one line per row, then one per skipped check."""
    lines = [
        "In-sample rows compare a default with the data it was fitted to.",
        "",
        "| check | statistic | real | simulated | tolerance | pass |",
        "|---|---|---:|---:|---:|:---:|",
    ]
    for row in report.rows:
        lines.append(
            f"| {row.check} | {row.statistic} | {_number(row.real, row.unit)} | "
            f"{_number(row.simulated, row.unit)} | ± {_number(row.tolerance, row.unit)} | "
            f"{'yes' if row.passed else '**no**'}{' (in-sample)' if row.in_sample else ''} |"
        )
    for skip in report.skips:
        lines.append(f"| {skip.check} | skipped: {skip.reason} | | | | |")
    for failure in report.failures:
        lines.append(f"| {failure.check} | **failed**: {failure.reason} | | | | |")
    return "\n".join(lines) + "\n"


def terminal_table(rows: Sequence[Row], width: int = 110) -> str:
    """The rows for a terminal: statistic cut to fit, numbers aligned."""
    lines = []
    for row in rows:
        name = f"{row.check}: {row.statistic}"
        name = name if len(name) <= 58 else name[:57] + "…"
        lines.append(
            f"{name:<58} {_number(row.real, row.unit):>11} {_number(row.simulated, row.unit):>11} "
            f"±{_number(row.tolerance, row.unit):>10}  {'pass' if row.passed else 'FAIL'}"
            f"{' (in-sample)' if row.in_sample else ''}"
        )
    header = f"{'check: statistic':<58} {'real':>11} {'simulated':>11} {'tolerance':>11}  "
    return "\n".join([header[:width], *lines])
