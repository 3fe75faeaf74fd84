"""Collect every metrics.json under the given sweep directories into one table and the figures.

    python experiments/report.py multirun/accuracy_vs_crowding [more dirs] [--out DIR]

Writes results.csv (one row per run × system, overrides as columns) and summary.csv (mean and
95 % interval over seeds per scenario and system), prints the summary, and draws every standard
figure the sweep has data for (PNG and PDF): exact receipts against each swept setting, the
accuracy/cost Pareto front (review thresholds swept), break-even (visits per day swept), data
yield by event type, RFID read rate by material, and the reliability diagram.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit.figures import standard_figures
from toolkit.report import collect, summarise, write_csv

HEADLINE = (
    "receipt_exact",
    "line_f1",
    "revenue_error",
    "cost_annual",
    "cost_per_correct_receipt",
    "events_captured_per_visit",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dirs", nargs="+", type=Path, help="sweep or run directories to search for metrics.json"
    )
    parser.add_argument("--out", type=Path, help="where to write the table and figures (default: DIR/report)")
    args = parser.parse_args(argv)
    missing = [d for d in args.dirs if not d.is_dir()]
    if missing:
        print(f"error: not a directory: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    rows, scenario = collect(args.dirs)
    if not rows:
        print(f"error: no metrics.json under {', '.join(map(str, args.dirs))}", file=sys.stderr)
        return 2
    out = args.out or args.dirs[0] / "report"
    write_csv(rows, out / "results.csv")
    summary = summarise(rows, scenario, HEADLINE)
    write_csv(summary, out / "summary.csv")
    for entry in summary:
        where = ", ".join(f"{k}={entry[k]}" for k in scenario) or "all runs"
        cells = "  ".join(f"{m} {entry[m]:.4g} ± {entry[f'{m}_ci95']:.2g}" for m in HEADLINE if m in entry)
        print(f"{where} | {entry['system']} (n={entry['n_seeds']}): {cells}")
    drawn = standard_figures(rows, scenario, summary, out)
    print(f"{len(rows)} rows -> {out / 'results.csv'}; {len(drawn) // 2} figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
