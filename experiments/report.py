"""Collect every metrics.json under the given sweep directories into one table and the figures.

    python experiments/report.py multirun/accuracy_vs_crowding [more dirs] [--out DIR]

Writes results.csv (one row per run × system, overrides as columns) and summary.csv (mean and
95 % Student-t interval over seeds per scenario and system; the interval is empty from a single
seed), prints the summary, the paired differences from the --versus design (paired.csv) and the
cost at equal accuracy (equal_accuracy.csv), and draws every standard figure the sweep has data
for (PNG and PDF): exact receipts against each swept setting, the accuracy/cost Pareto front
(review thresholds swept), break-even (visits per day swept), data yield by event type, RFID read
rate by material, the reliability diagram, and where two settings are swept the flip map (the
winner of camera fusion and the RFID gate per cell). A figure the data cannot fill (one visits per
day for break-even) shows a note saying why, and the note is printed too.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from toolkit.figures import draw_standard_figures, notes, save
from toolkit.report import TERMINAL_WIDTH as WIDTH
from toolkit.report import aligned, collect, paired_differences, summarise, write_csv

# metric, column title, scale, format of mean and interval half-width
COLUMNS = (
    ("receipt_exact", "exact %", 100.0, ".1f"),
    ("line_f1", "line F1", 1.0, ".3f"),
    ("revenue_error", "rev. err %", 100.0, ".2f"),
    ("cost_annual", "annual k$", 1e-3, ".1f"),
    ("cost_per_correct_receipt", "$/correct", 1.0, ".3f"),
    ("events_captured_per_visit", "events/visit", 1.0, ".2f"),
)
HEADLINE = tuple(metric for metric, *_ in COLUMNS)
# the accuracy and cost columns as differences from the reference design, signed (the data yield's
# difference from the RFID gate, which records no events, would only repeat the design's own)
PAIRED_COLUMNS = tuple(
    (f"{m}_diff", f"Δ {title}", scale, f"+{fmt}")
    for m, title, scale, fmt in COLUMNS
    if m != "events_captured_per_visit"
)
LEGEND = (
    "mean ± 95 % t-interval half-width over the n seeds of each scenario (—: one seed, no interval); "
    "exact: exact receipts; rev. err: revenue error; $/correct: cost per correct receipt; "
    "events/visit: behavioural events captured per visit"
)


EQUAL_LEGEND = (
    "cost at equal accuracy, {target} % exact receipts: each design run under the cheapest policy of "
    "footage review and staff exit checks that reaches it on the other half of the day's visits "
    "(equal_accuracy); reachable: runs where such a policy exists; met: runs whose day reached it; "
    "$/correct, $/visit: cost per correct receipt and per visit (over the reachable runs); reviewed: "
    "events reviewed; checked: visits checked; mean ± 95 % t-interval"
)


def _cell(entry: Mapping[str, Any], metric: str, scale: float, fmt: str) -> str:
    if entry.get(metric) is None:
        return "—"
    half = entry.get(f"{metric}_ci95")
    spread = fmt.lstrip("+")  # a half-width has no sign
    return f"{entry[metric] * scale:{fmt}} ± " + ("—" if half is None else f"{half * scale:{spread}}")


def _order(value: Any) -> tuple[int, Any]:
    """Numbers in numeric order (250 before 1000), then everything else as text."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return (0, value) if number else (1, str(value))


def table_lines(
    entries: Sequence[Mapping[str, Any]],
    scenario: Sequence[str],
    columns: Sequence[tuple[str, str, float, str]],
    n_key: str,
    legend: str,
) -> list[str]:
    """Entries as one aligned table: a legend, settings shared by every run stated once, each
    combination of the swept settings as a heading over its systems."""
    shared = [k for k in scenario if len({str(e.get(k)) for e in entries}) == 1]
    swept = [k for k in scenario if k not in shared]
    ordered = sorted(entries, key=lambda e: [_order(e.get(k)) for k in swept])
    header = ["system", "n", *(title for _, title, _, _ in columns)]
    table = [
        [e["system"], str(e.get(n_key, "—")), *(_cell(e, key, scale, fmt) for key, _, scale, fmt in columns)]
        for e in ordered
    ]
    formatted = aligned([header, *table])
    lines = textwrap.wrap(legend, WIDTH)
    if shared:
        lines += textwrap.wrap("all runs: " + ", ".join(f"{k}={entries[0].get(k)}" for k in shared), WIDTH)
    lines.append(formatted[0])
    heading = None
    for entry, text in zip(ordered, formatted[1:], strict=True):
        where = ", ".join(f"{k}={entry.get(k)}" for k in swept)
        if swept and where != heading:
            lines += textwrap.wrap(where, WIDTH)
            heading = where
        lines.append(text)
    return lines


def equal_accuracy_tables(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[str, str, float, str]]]:
    """The cost-at-equal-accuracy columns the rows have, one table per target (0.95: 'at95_'): the
    share of runs in which the design reached it, its cost per correct receipt and per visit
    there, and the shares of its events reviewed and of visits checked to get there."""
    prefixes = sorted({m.group(1) for r in rows for k in r if (m := re.match(r"^(at[\d_]+_)reachable$", k))})
    return {
        prefix[2:-1].replace("_", "."): [
            (f"{prefix}reachable", "reachable %", 100.0, ".0f"),
            (f"{prefix}met", "met %", 100.0, ".0f"),
            (f"{prefix}cost_per_correct_receipt", "$/correct", 1.0, ".3f"),
            (f"{prefix}cost_per_visit", "$/visit", 1.0, ".3f"),
            (f"{prefix}reviewed_share", "reviewed %", 100.0, ".0f"),
            (f"{prefix}checked_share", "checked %", 100.0, ".0f"),
        ]
        for prefix in prefixes
    }


def summary_lines(summary: Sequence[Mapping[str, Any]], scenario: Sequence[str]) -> list[str]:
    """The means over seeds, one table."""
    return table_lines(summary, scenario, COLUMNS, "n_seeds", LEGEND)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dirs", nargs="+", type=Path, help="sweep or run directories to search for metrics.json"
    )
    parser.add_argument("--out", type=Path, help="where to write the table and figures (default: DIR/report)")
    parser.add_argument(
        "--versus",
        default="rfid_gate",
        help="the design every other is paired with, run by run (default: rfid_gate)",
    )
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
    print("\n".join(summary_lines(summary, scenario)))
    paired = paired_differences(rows, scenario, HEADLINE, args.versus)
    if paired:
        write_csv(paired, out / "paired.csv")
        legend = (
            f"paired with {args.versus} on the same visits, run by run: mean difference (design − "
            f"{args.versus}) ± 95 % t-interval half-width over the n runs where both have the metric"
        )
        print("\n".join(table_lines(paired, scenario, PAIRED_COLUMNS, "receipt_exact_diff_n", legend)))
    else:
        print(f"no paired differences: no run has the design {args.versus!r} (--versus names another)")
    tables = equal_accuracy_tables(rows)
    if tables:
        equal = summarise(rows, scenario, [key for columns in tables.values() for key, *_ in columns])
        write_csv(equal, out / "equal_accuracy.csv")
        for target, columns in tables.items():
            legend = EQUAL_LEGEND.format(target=target)
            print("\n".join(table_lines(equal, scenario, columns, "n_seeds", legend)))
    drawn = draw_standard_figures(rows, scenario, summary)
    for name, figure in drawn.items():
        said = notes(figure)
        save(figure, out / name)
        print(textwrap.fill(f"figure {name}" + (f": {'; '.join(said)}" if said else ""), WIDTH))
    print(f"{len(rows)} rows; results.csv, summary.csv and {len(drawn)} figures (PNG and PDF) in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
