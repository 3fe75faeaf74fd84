"""Turning metrics records into tables (and, with the sweeps issue, figures)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    return "\n".join(lines)


def _rfid_line(name: str, metrics: Mapping[str, Any]) -> str:
    """Per-material unit read rates, throughput and stray reads of an RFID design."""
    rates = [
        f"{key.removeprefix('rfid_read_rate_')} {value:.1%}"
        for key, value in metrics.items()
        if key.startswith("rfid_read_rate_") and value is not None
    ]
    throughput = metrics.get("rfid_gate_tags_per_s")
    return (
        f"{name}: unit read rate {metrics['rfid_unit_read_rate']:.1%} ({', '.join(rates)}); "
        f"untagged {metrics['rfid_untagged_share']:.1%}; "
        f"{throughput:.0f} tags/s while reading; "
        f"{metrics['rfid_stray_reads_per_pass']:.2f} stray reads per pass"
        if throughput is not None
        else f"{name}: no tags read"
    )
