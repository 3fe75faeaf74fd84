"""Standard figures (matplotlib): one colour per system everywhere, labelled axes with units,
PNG and PDF side by side."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

from toolkit.io import write_atomic
from toolkit.metrics.data_yield import EVENT_TYPES
from toolkit.world import MATERIALS

matplotlib.use("Agg")
import matplotlib.pyplot as plt

KNOWN_SYSTEMS = (
    "vision_fusion",
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
        write_atomic(
            path,
            lambda fh, kind=path.suffix[1:]: figure.savefig(fh, format=kind, dpi=150, bbox_inches="tight"),
        )
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


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def metric_vs_figure(
    summary: Sequence[Mapping[str, Any]],
    x_key: str,
    metric: str,
    stem: Path,
    xlabel: str,
    ylabel: str,
    scale: float = 100.0,
) -> list[Path]:
    """A metric (mean ± 95 % interval over seeds) against a swept setting, one line per system."""
    by_system: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for entry in summary:
        if _numeric(entry.get(x_key)) and entry.get(metric) is not None:
            by_system[entry["system"]].append(
                (entry[x_key], entry[metric] * scale, entry.get(f"{metric}_ci95", 0.0) * scale)
            )
    figure, ax = plt.subplots(figsize=(5.5, 3.8))
    for system, points in sorted(by_system.items()):
        points.sort()
        ax.errorbar(
            [p[0] for p in points],
            [p[1] for p in points],
            yerr=[p[2] for p in points],
            marker="o",
            capsize=3,
            color=system_colour(system),
            label=system,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return save(figure, stem)


def pareto_figure(
    rows: Sequence[Mapping[str, Any]], stem: Path, threshold_key: str = "decision.review_threshold"
) -> list[Path]:
    """Exact receipts against cost per visit for every (system, review threshold); the Pareto front
    (no design both cheaper and more accurate) drawn as a line."""
    points = [
        (r["cost_per_visit"], r["receipt_exact"] * 100.0, r["system"], r.get(threshold_key))
        for r in rows
        if r.get("cost_per_visit") is not None and r.get("receipt_exact") is not None
    ]
    figure, ax = plt.subplots(figsize=(5.8, 4.0))
    for system in sorted({p[2] for p in points}):
        mine = [p for p in points if p[2] == system]
        ax.scatter(
            [p[0] for p in mine], [p[1] for p in mine], color=system_colour(system), label=system, zorder=3
        )
        for cost, accuracy, _, threshold in mine:
            if threshold is not None:
                ax.annotate(
                    f"{threshold:g}", (cost, accuracy), fontsize=6, xytext=(3, 3), textcoords="offset points"
                )
    front, best = [], -1.0
    for cost, accuracy, _, _ in sorted(points):
        if accuracy > best:
            front.append((cost, accuracy))
            best = accuracy
    ax.plot([p[0] for p in front], [p[1] for p in front], "k--", linewidth=1, label="Pareto front")
    ax.set_xlabel("cost per visit (USD)")
    ax.set_ylabel("exact receipts (%)")
    ax.legend(fontsize=8)
    figure.tight_layout()
    return save(figure, stem)


def _grouped_bars(
    ax: plt.Axes, categories: Sequence[str], groups: Sequence[tuple[str, str, list[float]]]
) -> None:
    """One bar per (category, group): groups side by side within each category."""
    width = 0.8 / max(len(groups), 1)
    for i, (label, colour, values) in enumerate(groups):
        ax.bar([j + i * width for j in range(len(categories))], values, width, color=colour, label=label)
    ax.set_xticks([j + width * (len(groups) - 1) / 2 for j in range(len(categories))], categories)
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)


def _mean_percent(rows: Sequence[Mapping[str, Any]], key: str, empty: float) -> float:
    values = [r.get(key) for r in rows]
    values = [v for v in values if v is not None]
    return 100.0 * sum(values) / len(values) if values else empty


def data_yield_figure(
    rows: Sequence[Mapping[str, Any]], stem: Path, event_types: Sequence[str]
) -> list[Path]:
    """Share of true events captured and attributed, by event type (bars) and system (colour)."""
    systems = sorted({r["system"] for r in rows})
    figure, ax = plt.subplots(figsize=(7.0, 3.8))
    groups = []
    for system in systems:
        mine = [r for r in rows if r["system"] == system]
        groups.append(
            (
                system,
                system_colour(system),
                [_mean_percent(mine, f"yield_{event}_attributed", 0.0) for event in event_types],
            )
        )
    _grouped_bars(ax, event_types, groups)
    ax.set_ylabel("true events captured and attributed (%)")
    figure.tight_layout()
    return save(figure, stem)


def rfid_material_figure(
    rows: Sequence[Mapping[str, Any]], stem: Path, materials: Sequence[str], group_key: str = "catalog"
) -> list[Path]:
    """RFID gate unit read rate by packaging material, one bar group per store type."""
    read = [r for r in rows if r.get("rfid_unit_read_rate") is not None]
    labels = sorted({str(r.get(group_key, "default")) for r in read})
    palette = plt.get_cmap("Set2").colors
    figure, ax = plt.subplots(figsize=(6.5, 3.8))
    groups = []
    for i, label in enumerate(labels):
        mine = [r for r in read if str(r.get(group_key, "default")) == label]
        groups.append(
            (
                f"{group_key} = {label}",
                palette[i % len(palette)],
                [_mean_percent(mine, f"rfid_read_rate_{m}", float("nan")) for m in materials],
            )
        )
    _grouped_bars(ax, materials, groups)
    ax.set_ylabel("units read at the gate (%)")
    figure.tight_layout()
    return save(figure, stem)


def reliability_figure(rows: Sequence[Mapping[str, Any]], stem: Path) -> list[Path]:
    """Accuracy against confidence of each fusion system's MAP decisions, bins pooled over runs."""
    pooled: dict[str, list[list[float]]] = {}
    for row in rows:
        if not isinstance(row.get("reliability_count"), list):
            continue
        parts = [row["reliability_count"], row["reliability_confidence_sum"], row["reliability_correct"]]
        if row["system"] not in pooled:
            pooled[row["system"]] = [list(map(float, p)) for p in parts]
        else:
            pooled[row["system"]] = [
                [a + b for a, b in zip(acc, p, strict=True)]
                for acc, p in zip(pooled[row["system"]], parts, strict=True)
            ]
    figure, ax = plt.subplots(figsize=(4.6, 4.4))
    ax.plot([0, 1], [0, 1], "k:", linewidth=1, label="perfect calibration")
    for system, (count, conf, right) in sorted(pooled.items()):
        keep = [i for i, n in enumerate(count) if n > 0]
        ax.plot(
            [conf[i] / count[i] for i in keep],
            [right[i] / count[i] for i in keep],
            "o-",
            color=system_colour(system),
            label=system,
        )
    ax.set_xlabel("MAP confidence")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=8)
    figure.tight_layout()
    return save(figure, stem)


LABELS = {
    "shoppers.visits_per_day": "visits per day",
    "catalog.lookalike_share": "share of look-alike SKUs",
    "decision.review_threshold": "review threshold (MAP posterior)",
    "sensor.loadcell.noise_g": "load-cell noise σ (g)",
}


def standard_figures(
    rows: Sequence[Mapping[str, Any]],
    scenario: Sequence[str],
    summary: Sequence[Mapping[str, Any]],
    out: Path,
) -> list[Path]:
    """Every standard figure the rows have data for, written under `out` (PNG and PDF)."""
    drawn: list[Path] = []
    for key in scenario:
        values = {r.get(key) for r in rows}
        if (
            len(values) > 1
            and all(isinstance(v, int | float) for v in values)
            and key != "costs.rfid.tag_price"
        ):
            name = "accuracy_vs_" + key.split(".")[-1]
            drawn += metric_vs_figure(
                summary, key, "receipt_exact", out / name, LABELS.get(key, key), "exact receipts (%)"
            )
    if "decision.review_threshold" in scenario:
        drawn += pareto_figure(rows, out / "accuracy_vs_cost")
    if "shoppers.visits_per_day" in scenario and any(r.get("cost_annual") is not None for r in rows):
        drawn += break_even_figure(rows, out / "break_even")
    if any(r.get("yield_take_attributed") is not None for r in rows):
        drawn += data_yield_figure(rows, out / "data_yield", EVENT_TYPES)
    if any(r.get("rfid_unit_read_rate") is not None for r in rows):
        drawn += rfid_material_figure(rows, out / "rfid_read_rate_by_material", MATERIALS)
    if any(isinstance(r.get("reliability_count"), list) for r in rows):
        drawn += reliability_figure(rows, out / "reliability")
    return drawn


def show(paths: Sequence[Path]) -> None:
    """Display the PNGs inline under IPython/Jupyter; elsewhere print where they are."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        get_ipython = None
    for path in paths:
        if path.suffix != ".png":
            continue
        if get_ipython is not None and get_ipython() is not None:
            display(Image(filename=str(path)))
        else:
            print(f"figure: {path}")
