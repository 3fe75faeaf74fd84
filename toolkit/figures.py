"""Standard figures (matplotlib): one colour per system everywhere, labelled axes with units,
PNG and PDF side by side."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

KNOWN_SYSTEMS = (
    "vision_fusion",
    "vision_only",
    "vision_weight",
    "weight_only",
    "weight_history",
    "weight_pressure",
    "weight_pressure_history",
    "rfid_gate",
    "rfid_shelf",
)


def system_colour(name: str) -> str:
    """The same colour for a system in every figure of every run."""
    palette = plt.get_cmap("tab10").colors
    index = KNOWN_SYSTEMS.index(name) if name in KNOWN_SYSTEMS else len(KNOWN_SYSTEMS) + sum(map(ord, name))
    return matplotlib.colors.to_hex(palette[index % len(palette)])


def save(figure: plt.Figure, stem: Path) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for path in paths:
        figure.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(figure)
    return paths


def comparison_figure(record: Mapping[str, Any], stem: Path) -> list[Path]:
    """One run: exact receipts, cost per correct receipt and captured events per visit per system."""
    systems = list(record["systems"])
    panels = (
        ("receipt_exact", "exact receipts (%)", 100.0),
        ("cost_per_correct_receipt", "cost per correct receipt (USD)", 1.0),
        ("events_captured_per_visit", "behavioural events captured per visit", 1.0),
    )
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6))
    for ax, (key, label, scale) in zip(axes, panels, strict=True):
        values = [(record["systems"][s].get(key) or 0.0) * scale for s in systems]
        ax.bar(range(len(systems)), values, color=[system_colour(s) for s in systems])
        ax.set_xticks(range(len(systems)), systems, rotation=30, ha="right")
        ax.set_ylabel(label)
    scenario = record.get("scenario", {})
    visits, skus = scenario.get("n_visits", "?"), scenario.get("n_skus", "?")
    figure.suptitle(f"seed {record.get('seed')}: {visits} visits, {skus} SKUs")
    figure.tight_layout()
    return save(figure, stem)


def break_even_figure(
    rows: Sequence[Mapping[str, Any]], stem: Path, panel_key: str = "costs.rfid.tag_price"
) -> list[Path]:
    """Annual cost against visits per day, one line per system, one panel per value of `panel_key`
    (tag price by default): where the lines cross, the designs break even."""
    panels: dict[Any, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.get("cost_annual") is None:
            continue
        panels[row.get(panel_key)][row["system"]].append((row["n_visits"], row["cost_annual"] / 1000.0))
    keys = sorted(panels, key=lambda k: (k is None, k))
    figure, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.8), squeeze=False, sharey=True)
    for ax, key in zip(axes[0], keys, strict=True):
        for system, points in sorted(panels[key].items()):
            points.sort()
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                "o-",
                color=system_colour(system),
                label=system,
            )
        ax.set_xlabel("visits per day")
        ax.set_title(f"{panel_key} = {key}" if key is not None else "all runs")
    axes[0][0].set_ylabel("annual cost (thousand USD)")
    axes[0][-1].legend(fontsize=8)
    figure.tight_layout()
    return save(figure, stem)
