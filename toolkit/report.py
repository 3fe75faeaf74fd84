"""Metrics records into tables: one run's summary, and a sweep's tidy rows and means over seeds.

Figures live in toolkit/figures.py; both serve experiments/report.py and the notebooks.
"""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

from toolkit.io import write_text_atomic
from toolkit.uncertainty import uncertainty_lines

SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("receipt_exact", "exact receipts", "{:.1%}"),
    ("line_f1", "line F1", "{:.3f}"),
    ("revenue_error", "revenue err", "{:.2%}"),
    ("event_accuracy", "event acc", "{:.1%}"),
    ("machine_event_accuracy", "machine acc", "{:.1%}"),
    ("attribution_accuracy", "attribution", "{:.1%}"),
    ("review_rate", "reviewed", "{:.1%}"),
    ("ece", "ECE", "{:.3f}"),
    ("aurc", "AURC", "{:.3f}"),
    ("cost_annual", "annual $", "{:,.0f}"),
    ("cost_per_visit", "$/visit", "{:.3f}"),
    ("cost_operations_per_visit", "run $/visit", "{:.3f}"),
    ("cost_errors_per_visit", "errors $/visit", "{:.3f}"),
    ("cost_per_correct_receipt", "$/correct receipt", "{:.3f}"),
    ("events_captured_per_visit", "events/visit", "{:.2f}"),
)
# Columns that belong side by side: receipts and events, calibration, cost and data.
SUMMARY_GROUPS: tuple[frozenset[str], ...] = (
    frozenset(k for k, _, _ in SUMMARY_COLUMNS[:7]),
    frozenset({"ece", "aurc"}),
    frozenset(k for k, _, _ in SUMMARY_COLUMNS[9:]),
)


TERMINAL_WIDTH = 120


def _cell(metrics: Mapping[str, Any], column: tuple[str, str, str]) -> str:
    key, _, fmt = column
    return "—" if metrics.get(key) is None else fmt.format(metrics[key])


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Fixed-width lines of a table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def _table(systems: Mapping[str, Mapping[str, Any]], columns: Sequence[tuple[str, str, str]]) -> list[str]:
    """A system column, then `columns` ("—" for a null metric)."""
    header = ["system", *(title for _, title, _ in columns)]
    return aligned(
        [header, *([name, *(_cell(m, column) for column in columns)] for name, m in systems.items())]
    )


def _column_groups(systems: Mapping[str, Mapping[str, Any]], width: int) -> list[list[tuple[str, str, str]]]:
    """SUMMARY_COLUMNS in order, cut into as few tables as fit `width` with the system column each,
    keeping the columns of one SUMMARY_GROUPS group together where it fits."""
    name_width = max([len("system"), *map(len, systems)])
    tables: list[list[tuple[str, str, str]]] = [[]]
    used = name_width
    for group in SUMMARY_GROUPS:
        columns = [c for c in SUMMARY_COLUMNS if c[0] in group]
        needs = [2 + max(len(c[1]), *(len(_cell(m, c)) for m in systems.values())) for c in columns]
        if tables[-1] and used + sum(needs) > width:
            tables.append([])
            used = name_width
        for column, need in zip(columns, needs, strict=True):
            if tables[-1] and used + need > width:
                tables.append([])
                used = name_width
            tables[-1].append(column)
            used += need
    return tables


def format_summary(record: Mapping[str, Any], width: int = TERMINAL_WIDTH) -> str:
    """One run's headline metrics per system for a terminal: a line on the scenario, the table cut
    into parts that fit `width` columns, then the RFID and uncertain-parameter lines wrapped to it
    (metrics.csv beside metrics.json has the whole table)."""
    systems: Mapping[str, Mapping[str, Any]] = record["systems"]
    lines = []
    scenario = record.get("scenario", {})
    if scenario:
        what = (
            f"store {record.get('store_seed', 0)}, day {record['seed']} (one day, no interval; report.py "
            "on -m seed=0,1,2,3,4 gives them): "
            f"{scenario['n_visits']} visits, "
            f"{scenario['n_skus']} SKUs, {scenario['n_detected_events']} shelf events "
            f"({scenario['crowded_event_share']:.0%} with >1 shopper at the shelf), "
            f"{scenario['n_empty_reaches']} reaches into empty slots"
        )
        lines += textwrap.wrap(what, width, subsequent_indent="  ")
    for number, group in enumerate(_column_groups(systems, width)):
        if number:
            lines.append("")
        lines += _table(systems, group)
    notes = [
        _rfid_line(name, metrics) for name, metrics in systems.items() if "rfid_unit_read_rate" in metrics
    ]
    notes += [
        f"{name}: departures seen for {metrics['rfid_shelf_departure_recall']:.1%} of units bought; "
        f"{metrics['rfid_shelf_phantoms_per_shelf_hour']:.2f} phantom departures per shelf-hour"
        for name, metrics in systems.items()
        if metrics.get("rfid_shelf_departure_recall") is not None
    ]
    notes += uncertainty_lines(record.get("uncertain", {}))
    lines += [wrapped for note in notes for wrapped in textwrap.wrap(note, width, subsequent_indent="  ")]
    return "\n".join(lines)


def metrics_table(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per system of every scalar metric: the whole table the terminal shows in part."""
    return [
        {"system": name, **{k: v for k, v in metrics.items() if not isinstance(v, list | dict)}}
        for name, metrics in record["systems"].items()
    ]


def _rfid_line(name: str, metrics: Mapping[str, Any]) -> str:
    """Per-material unit read rates, throughput and stray reads of an RFID design."""
    rates = [
        f"{key.removeprefix('rfid_read_rate_')} {value:.1%}"
        for key, value in metrics.items()
        if key.startswith("rfid_read_rate_") and value is not None
    ]
    throughput = metrics.get("rfid_gate_tags_per_s")
    if throughput is None or metrics.get("rfid_unit_read_rate") is None:
        return f"{name}: no tagged unit went through the gate"
    return (
        f"{name}: unit read rate {metrics['rfid_unit_read_rate']:.1%} ({', '.join(rates)}); "
        f"untagged {metrics['rfid_untagged_share']:.1%}; "
        f"{throughput:.0f} tags/s while reading; "
        f"{metrics['rfid_stray_reads_per_pass']:.2f} stray reads per pass; "
        f"{_share(metrics.get('rfid_wrong_pass_share'))} of basket-tag reads charged to another pass"
    )


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _parse_value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


RESERVED_COLUMNS = ("run", "system")  # a row's own keys; `system=[...]` selects the rows instead


def override_columns(overrides: Iterable[str]) -> dict[str, Any]:
    """``key=value`` command-line overrides as columns (hydra's own settings left out)."""
    columns = {}
    for item in overrides:
        key, _, value = item.partition("=")
        key = key.lstrip("+~")
        if key and not key.startswith("hydra") and key not in RESERVED_COLUMNS:
            columns[key] = _parse_value(value)
    return columns


# Replicate keys: runs that differ only in these are seeds of one scenario (`seed` seeds the day,
# `store_seed` the store and catalog), so they are columns of the rows but never scenario columns.
REPLICATE_KEYS = ("seed", "store_seed")


def collect(directories: Sequence[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """One tidy row per (run, system) from every metrics.json under the given directories, and the
    override columns that describe each run's scenario (the replicate keys excluded)."""
    rows, scenario = [], {}
    for directory in directories:
        for path in sorted(Path(directory).rglob("metrics.json")):
            record = json.loads(path.read_text())
            columns = override_columns(record.get("overrides", []))
            # the seeds as the run resolved them (an override may say 'store_seed=${seed}'), else
            # as overridden (a record from before store_seed was recorded)
            replicate = {
                k: record.get(k, columns.get(k)) for k in REPLICATE_KEYS if k in record or k in columns
            }
            columns = {k: v for k, v in columns.items() if k not in REPLICATE_KEYS}
            scenario.update(dict.fromkeys(columns))
            for system, metrics in record["systems"].items():
                rows.append({"run": str(path.parent), **replicate, **columns, "system": system, **metrics})
    return rows, list(scenario)


def write_csv(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """All rows, all columns (in order of first appearance), written atomically."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue())


def t_interval(values: Sequence[float]) -> float | None:
    """Half-width of the 95 % Student-t interval of the mean: a few seeds are far from the normal
    approximation (t = 4.30 for 3 seeds, not 1.96). None for fewer than two values: one seed says
    nothing about the spread."""
    if len(values) < 2:
        return None
    return float(stats.t.ppf(0.975, len(values) - 1) * stats.sem(values))


def finite_values(rows: Iterable[Mapping[str, Any]], key: str) -> list[float]:
    """The numbers under `key`: a metric that is absent, None or NaN in a run has no value there."""
    values = (row.get(key) for row in rows)
    return [
        float(v)
        for v in values
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]


def summarise(
    rows: Sequence[Mapping[str, Any]], scenario: Sequence[str], metrics: Sequence[str]
) -> list[dict[str, Any]]:
    """Mean and 95 % Student-t interval half-width (`<metric>_ci95`, None from a single run) of
    each metric over seeds, per scenario (the given override columns) and system; `n_seeds` counts
    the runs in each, `<metric>_n` those with a value of that metric (its interval's n)."""
    keys = list(scenario)
    groups: dict[tuple, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(*(row.get(k) for k in keys), row["system"])].append(row)
    summary = []
    for group_key, members in groups.items():
        entry: dict[str, Any] = dict(zip([*keys, "system"], group_key, strict=True))
        entry["n_seeds"] = len(members)
        for metric in metrics:
            values = finite_values(members, metric)
            entry[f"{metric}_n"] = len(values)
            if values:
                entry[metric] = sum(values) / len(values)
                entry[f"{metric}_ci95"] = t_interval(values)
        summary.append(entry)
    return summary


def paired_differences(
    rows: Sequence[Mapping[str, Any]], scenario: Sequence[str], metrics: Sequence[str], reference: str
) -> list[dict[str, Any]]:
    """Each design minus `reference`, run by run: every design of a run saw the same visits
    (common random numbers), so the difference cancels the day-to-day spread both share and its
    interval is far tighter than the two separate intervals suggest. Per scenario and design:
    `<metric>_diff` (mean), `<metric>_diff_ci95` (95 % Student-t half-width, None from one run)
    and `<metric>_diff_n` (runs where both designs have the metric). [] without `reference`."""
    frame = pd.DataFrame(list(rows))
    if frame.empty or reference not in set(frame["system"]):
        return []
    keys = [*scenario, "system"]
    entries: dict[tuple, dict[str, Any]] = {}
    for metric in (m for m in metrics if m in frame):
        values = frame[[*keys, "run"]].assign(value=pd.to_numeric(frame[metric], errors="coerce"))
        theirs = values[values["system"] == reference].set_index("run")["value"]
        paired = values[values["system"] != reference]
        paired = paired.assign(diff=paired["value"] - paired["run"].map(theirs))
        for group, diffs in paired.dropna(subset=["diff"]).groupby(keys, dropna=False, sort=False)["diff"]:
            entry = entries.setdefault(group, {**dict(zip(keys, group, strict=True)), "reference": reference})
            entry[f"{metric}_diff"] = float(diffs.mean())
            entry[f"{metric}_diff_ci95"] = t_interval(diffs.tolist())
            entry[f"{metric}_diff_n"] = int(diffs.size)
    return list(entries.values())
