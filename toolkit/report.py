"""Metrics records into tables: one run's summary, and a sweep's tidy rows and means over seeds.

Figures live in toolkit/figures.py; both serve experiments/report.py and the notebooks.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

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


def format_summary(record: Mapping[str, Any]) -> str:
    """A fixed-width per-system table of the headline metrics of one run."""
    systems: Mapping[str, Mapping[str, float]] = record["systems"]
    name_width = max([len("system"), *map(len, systems)])
    header = ["system".ljust(name_width)] + [title for _, title, _ in SUMMARY_COLUMNS]
    widths = [len(h) for h in header]
    rows = []
    for name, metrics in systems.items():
        cells = [name.ljust(name_width)] + [
            "—" if metrics.get(key) is None else fmt.format(metrics[key]) for key, _, fmt in SUMMARY_COLUMNS
        ]
        rows.append(cells)
        widths = [max(w, len(c)) for w, c in zip(widths, cells, strict=True)]
    lines = ["  ".join(h.rjust(w) if i else h for i, (h, w) in enumerate(zip(header, widths, strict=True)))]
    lines += [
        "  ".join(c.rjust(w) if i else c for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    scenario = record.get("scenario", {})
    if scenario:
        lines.insert(
            0,
            f"seed {record['seed']}: {scenario['n_visits']} visits, {scenario['n_skus']} SKUs, "
            f"{scenario['n_detected_events']} shelf events "
            f"({scenario['crowded_event_share']:.0%} with >1 shopper at the shelf), "
            f"{scenario['n_empty_reaches']} reaches into empty slots",
        )
    lines += [
        _rfid_line(name, metrics) for name, metrics in systems.items() if "rfid_unit_read_rate" in metrics
    ]
    lines += [
        f"{name}: departures seen for {metrics['rfid_shelf_departure_recall']:.1%} of units bought; "
        f"{metrics['rfid_shelf_phantoms_per_shelf_hour']:.2f} phantom departures per shelf-hour"
        for name, metrics in systems.items()
        if metrics.get("rfid_shelf_departure_recall") is not None
    ]
    lines += uncertainty_lines(record.get("uncertain", {}))
    return "\n".join(lines)


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


def collect(directories: Sequence[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """One tidy row per (run, system) from every metrics.json under the given directories, and the
    override columns that describe each run's scenario (the seed excluded)."""
    rows, scenario = [], {}
    for directory in directories:
        for path in sorted(Path(directory).rglob("metrics.json")):
            record = json.loads(path.read_text())
            columns = override_columns(record.get("overrides", []))
            scenario.update(dict.fromkeys(k for k in columns if k != "seed"))
            for system, metrics in record["systems"].items():
                rows.append(
                    {"run": str(path.parent), "seed": record["seed"], **columns, "system": system, **metrics}
                )
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


def summarise(
    rows: Sequence[Mapping[str, Any]], scenario: Sequence[str], metrics: Sequence[str]
) -> list[dict[str, Any]]:
    """Mean and 95 % interval half-width (normal approximation) of each metric over seeds, per
    scenario (the given override columns) and system."""
    keys = list(scenario)
    groups: dict[tuple, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(*(row.get(k) for k in keys), row["system"])].append(row)
    summary = []
    for group_key, members in groups.items():
        entry: dict[str, Any] = dict(zip([*keys, "system"], group_key, strict=True))
        entry["n_seeds"] = len(members)
        for metric in metrics:
            values = [m[metric] for m in members if isinstance(m.get(metric), int | float)]
            if not values:
                continue
            mean = sum(values) / len(values)
            var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
            entry[metric] = mean
            entry[f"{metric}_ci95"] = 1.96 * math.sqrt(var / len(values))
        summary.append(entry)
    return summary
