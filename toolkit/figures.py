"""Standard figures (matplotlib), fit for a paper: one colour per system everywhere, a title that
says what was swept and over how many seeds, labelled axes with units, 95 % Student-t intervals
over seeds, legends outside the data, and a note in place of a panel the data cannot fill.

Each `draw_*` function returns the Figure; the function of the same name ending in `_figure`
draws it and saves it (PNG and PDF side by side)."""

from __future__ import annotations

import math
import textwrap
import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

from toolkit.io import write_atomic
from toolkit.metrics.data_yield import EVENT_TYPES
from toolkit.report import REPLICATE_KEYS, finite_values, paired_differences, t_interval
from toolkit.world import MATERIALS

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.transforms import offset_copy

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

NBSP = "\u00a0"  # keeps "3 seeds" and "95 %" on one line when a title wraps
INTERVAL = f"mean and 95{NBSP}% t-interval"

LABELS = {
    "shoppers.visits_per_day": "store traffic (visits per day)",
    "catalog.lookalike_share": "look-alike SKUs (share of the catalogue)",
    "decision.review_threshold": "review threshold (MAP posterior)",
    "sensor.loadcell.noise_g": "load-cell noise σ (g)",
    "costs.rfid.tag_price": "RFID tag price (USD per tag)",
    "shoppers.p_buy_given_pick": "buy rate (share of picks kept)",
    "costs.camera.density_per_m2": "camera density (cameras per m²)",
}

LEGEND_WIDTH = 2.0  # inches right of the panels for a legend of system names

EVENT_NAMES = {"putback": "put-back", "empty_reach": "empty reach"}


# Hues far from every built-in design's tab10 colour (tab10's unused olive and cyan among them).
SPARE_COLOURS = ("#bcbd22", "#17becf", "#000000", "#ffd700", "#000080", "#800000")


def system_colour(name: str) -> str:
    """The same colour for a system in every figure of every run: the built-in designs their own
    tab10 colours, a design of your own (or a renamed one) one of the colours none of them has."""
    known = plt.get_cmap("tab10").colors
    if name in KNOWN_SYSTEMS:
        return matplotlib.colors.to_hex(known[KNOWN_SYSTEMS.index(name)])
    return SPARE_COLOURS[zlib.crc32(name.encode()) % len(SPARE_COLOURS)]


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


# --- shared pieces -----------------------------------------------------------------------------


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _quantity(label: str) -> str:
    """An axis label without its unit, for a title: "exact receipts (%)" -> "exact receipts"."""
    return label.split(" (")[0]


def _count(counts: Collection[int], unit: str) -> str:
    """'3 seeds', '2–3 seeds', or '1 seed (no interval)': how many runs each point stands on."""
    if not counts:
        return f"0{NBSP}{unit}s"
    low, high = min(counts), max(counts)
    span = f"{low}" if low == high else f"{low}–{high}"
    return f"{span}{NBSP}{unit}{'' if high == 1 else 's'}" + (" (no interval)" if high == 1 else "")


def _over(groups: Iterable[Sequence[Mapping[str, Any]]]) -> str:
    """How many runs each point of a figure drawn from rows stands on: seeds, or runs when a point
    pools runs of different settings as well (the title must not call those seeds)."""
    counts, pooled = [], False
    for members in groups:
        runs = {m.get("run") for m in members}
        seeds = {tuple(m.get(k) for k in REPLICATE_KEYS) for m in members}
        counts.append(len(runs))
        pooled |= len(runs) > len(seeds)
    return (_count(counts, "run") + ", other settings pooled") if pooled else _count(counts, "seed")


def _mean(values: Sequence[float], scale: float = 1.0) -> tuple[float, float]:
    """Mean and t-interval half-width, scaled; NaN where there is no value or no interval."""
    if not values:
        return math.nan, math.nan
    half = t_interval(values)
    return scale * sum(values) / len(values), math.nan if half is None else scale * half


def _setting(key: str, value: Any) -> str:
    """A panel's fixed setting, named as its axis would be, with its unit:
    "RFID tag price = 0.04 USD per tag"."""
    label = LABELS.get(key, key)
    unit = label[len(_quantity(label)) :].strip(" ()")
    return f"{_quantity(label)} = {value}{f' {unit}' if unit else ''}"


def _title(figure: plt.Figure, text: str) -> None:
    figure.suptitle(textwrap.fill(text, int(12 * figure.get_figwidth())), fontsize=10)


def _note(ax: plt.Axes, text: str) -> None:
    """Say in the panel why it holds no data, rather than leave it empty."""
    ax.text(
        0.5,
        0.5,
        textwrap.fill(text, 45),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=9,
        color="0.3",
        gid="note",
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _percent_axis(ax: plt.Axes) -> None:
    """Keep a percentage axis within 0–100 %: a t-interval from a few seeds can reach past what a
    share can be, and would squash the means into a sliver."""
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, -2.0), min(high, 102.0))


def notes(figure: plt.Figure) -> list[str]:
    """The notes a figure shows in place of data (why a panel is empty), one line each."""
    return [" ".join(t.get_text().split()) for ax in figure.axes for t in ax.texts if t.get_gid() == "note"]


def _legend(figure: plt.Figure) -> None:
    """One legend for the whole figure, right of the panels, so it never covers data."""
    entries: dict[str, Any] = {}
    for ax in figure.axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    if entries:
        figure.legend(
            list(entries.values()), list(entries), loc="outside right center", fontsize=8, frameon=False
        )


def _bar_marks(ax: plt.Axes, marks: Iterable[tuple[float, str]]) -> None:
    """A word at the foot of a bar with no height, so a reader tells a zero from a missing value."""
    for x, text in marks:
        ax.annotate(
            text,
            (x, 0),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            rotation=90,
            fontsize=6,
            color="0.3",
        )


def _grouped_bars(
    ax: plt.Axes,
    categories: Sequence[str],
    groups: Sequence[tuple[str, str, list[tuple[float, float]]]],
    missing: str,
) -> None:
    """One bar per (category, group) with its interval, groups side by side within each category;
    a zero bar is marked "0" and a missing one `missing`."""
    width = 0.8 / max(len(groups), 1)
    for i, (label, colour, values) in enumerate(groups):
        xs = [j + i * width for j in range(len(categories))]
        means = [0.0 if math.isnan(m) else m for m, _ in values]
        ax.bar(xs, means, width, yerr=[h for _, h in values], capsize=2, color=colour, label=label)
        _bar_marks(
            ax,
            [
                (x, missing if math.isnan(m) else "0")
                for x, (m, _) in zip(xs, values, strict=True)
                if not m > 0
            ],
        )
    ax.set_xticks([j + width * (len(groups) - 1) / 2 for j in range(len(categories))], categories)
    ax.set_ylim(0, 105)
    ax.set_yticks(range(0, 101, 20))


# --- one run -----------------------------------------------------------------------------------


def draw_comparison(record: Mapping[str, Any]) -> plt.Figure:
    """One run: exact receipts, cost per correct receipt and captured events per visit per system."""
    systems = list(record["systems"])
    panels = (
        ("receipt_exact", "exact receipts (%)", 100.0),
        ("cost_per_correct_receipt", "cost per correct receipt (USD)", 1.0),
        ("events_captured_per_visit", "behavioural events captured (per visit)", 1.0),
    )
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), layout="constrained")
    for ax, (key, label, scale) in zip(axes, panels, strict=True):
        values = [record["systems"][s].get(key) for s in systems]
        ax.bar(
            range(len(systems)),
            [v * scale if _numeric(v) else 0.0 for v in values],
            color=[system_colour(s) for s in systems],
        )
        _bar_marks(ax, [(i, "n/a" if v is None else "0") for i, v in enumerate(values) if not v])
        ax.set_xticks(range(len(systems)), systems, rotation=30, ha="right")
        ax.set_xlabel("design")
        ax.set_ylabel(label)
    scenario = record.get("scenario", {})
    visits, skus = scenario.get("n_visits", "?"), scenario.get("n_skus", "?")
    _title(
        figure,
        f"One store-day per design (store_seed {record.get('store_seed', 0)}, day seed "
        f"{record.get('seed')}: {visits} visits, {skus} SKUs); "
        "a single run (n = 1), so no interval over seeds",
    )
    return figure


def comparison_figure(record: Mapping[str, Any], stem: Path) -> list[Path]:
    return save(draw_comparison(record), stem)


# --- a sweep -----------------------------------------------------------------------------------


def _panels(entries: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[tuple[Any, ...]]:
    """The combinations of `keys` the entries hold, in order; one panel each."""
    return sorted({tuple(e.get(k) for k in keys) for e in entries}, key=lambda c: [(v is None, v) for v in c])


def _grid(n: int, width: float, height: float) -> tuple[plt.Figure, list[plt.Axes]]:
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    figure, axes = plt.subplots(
        rows, cols, figsize=(width * cols + LEGEND_WIDTH, height * rows), squeeze=False, layout="constrained"
    )
    for ax in axes.flat[n:]:
        ax.remove()
    return figure, list(axes.flat[:n])


def draw_metric_vs(
    summary: Sequence[Mapping[str, Any]],
    x_key: str,
    metric: str,
    xlabel: str,
    ylabel: str,
    scale: float = 100.0,
    *,
    scenario: Sequence[str] = (),
) -> plt.Figure:
    """A metric (mean and t-interval over seeds) against a swept setting, one line per system and
    one panel per combination of the other settings of `scenario` that vary, so no line mixes
    settings."""
    entries = [e for e in summary if _numeric(e.get(x_key)) and _numeric(e.get(metric))]
    others = [k for k in scenario if k != x_key and len({e.get(k) for e in entries}) > 1]
    panels = _panels(entries, others) or [()]
    figure, axes = _grid(len(panels), 5.0, 3.8)
    for ax, combination in zip(axes, panels, strict=True):
        mine = [e for e in entries if tuple(e.get(k) for k in others) == combination]
        xs = sorted({e[x_key] for e in mine})
        if not mine:
            _note(ax, f"no run has {metric} and a numeric {x_key}")
        elif len(xs) < 2:
            _note(ax, f"every run has {x_key} = {xs[0]:g}: sweep it over two or more values for this figure")
        systems = sorted({e["system"] for e in mine}) if len(xs) > 1 else []
        dodge = any(e.get(f"{metric}_ci95") for e in mine)
        for i, system in enumerate(systems):
            points = sorted(
                (e[x_key], e[metric], e.get(f"{metric}_ci95")) for e in mine if e["system"] == system
            )
            bars = ax.errorbar(
                [p[0] for p in points],
                [p[1] * scale for p in points],
                yerr=[math.nan if p[2] is None else p[2] * scale for p in points],
                marker="o",
                markersize=4,
                capsize=3,
                color=system_colour(system),
                label=system,
            )
            if dodge:
                # side by side at each x (2 points apart) so the intervals do not hide each other;
                # shifted once drawn, so the axis limits still come from the data
                shift = offset_copy(
                    ax.transData, figure, x=2.0 * (i - (len(systems) - 1) / 2), units="points"
                )
                for artist in bars.get_children():
                    artist.set_transform(shift)
        ax.margins(x=0.08)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if systems and ylabel.endswith("(%)"):
            _percent_axis(ax)
        if others:
            ax.set_title(
                ", ".join(_setting(k, v) for k, v in zip(others, combination, strict=True)), fontsize=9
            )
    _legend(figure)
    swept = "" if _quantity(xlabel) == x_key else f" (swept: {x_key})"
    _title(
        figure,
        f"{_quantity(ylabel)} vs {_quantity(xlabel)}{swept}; "
        f"{INTERVAL} over {_count([e.get(f'{metric}_n', e.get('n_seeds', 1)) for e in entries], 'seed')}",
    )
    return figure


def metric_vs_figure(
    summary: Sequence[Mapping[str, Any]],
    x_key: str,
    metric: str,
    stem: Path,
    xlabel: str,
    ylabel: str,
    scale: float = 100.0,
    *,
    scenario: Sequence[str] = (),
) -> list[Path]:
    return save(draw_metric_vs(summary, x_key, metric, xlabel, ylabel, scale, scenario=scenario), stem)


def draw_pareto(
    rows: Sequence[Mapping[str, Any]], threshold_key: str = "decision.review_threshold"
) -> plt.Figure:
    """Exact receipts against cost per visit for every (system, review threshold), mean and
    t-interval both ways; the Pareto front of the means (no design both cheaper and more accurate)
    drawn as a line."""
    groups: dict[tuple[str, Any], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if finite_values([row], "cost_per_visit") and finite_values([row], "receipt_exact"):
            groups[(row["system"], row.get(threshold_key))].append(row)
    figure, ax = plt.subplots(figsize=(5.0 + LEGEND_WIDTH, 4.2), layout="constrained")
    points = []
    for (system, threshold), members in sorted(groups.items(), key=lambda g: (g[0][0], str(g[0][1]))):
        cost, cost_half = _mean(finite_values(members, "cost_per_visit"))
        exact, exact_half = _mean(finite_values(members, "receipt_exact"), 100.0)
        points.append((cost, exact))
        ax.errorbar(
            cost,
            exact,
            xerr=cost_half,
            yerr=exact_half,
            marker="o",
            capsize=2,
            color=system_colour(system),
            label=system,
            zorder=3,
        )
        if threshold is not None:
            ax.annotate(
                f"{threshold:g}", (cost, exact), fontsize=6, xytext=(3, 3), textcoords="offset points"
            )
    front, best = [], -math.inf
    for cost, exact in sorted(points):
        if exact > best:
            front.append((cost, exact))
            best = exact
    if front:
        ax.plot(
            [p[0] for p in front],
            [p[1] for p in front],
            "k--o",
            linewidth=1,
            markersize=10,
            fillstyle="none",
            label="Pareto front",
        )
        _percent_axis(ax)
    else:
        _note(ax, "no run has both a cost per visit and exact receipts")
    ax.set_xlabel("cost per visit (USD)")
    ax.set_ylabel("exact receipts (%)")
    _legend(figure)
    swept = any(threshold is not None for _, threshold in groups)
    _title(
        figure,
        "exact receipts vs cost per visit, every design"
        + (f" at each {threshold_key} (point labels)" if swept else "")
        + f"; {INTERVAL} over {_over(groups.values())}; dashed: Pareto front",
    )
    return figure


def pareto_figure(
    rows: Sequence[Mapping[str, Any]], stem: Path, threshold_key: str = "decision.review_threshold"
) -> list[Path]:
    return save(draw_pareto(rows, threshold_key), stem)


def draw_break_even(rows: Sequence[Mapping[str, Any]], panel_key: str = "costs.rfid.tag_price") -> plt.Figure:
    """Annual cost against visits per day, one line (mean, t-band) per system, one panel per value
    of `panel_key` (tag price by default): where the lines cross, the designs break even."""
    costed = [r for r in rows if finite_values([r], "cost_annual") and _numeric(r.get("n_visits"))]
    keys = [k for (k,) in _panels(costed, [panel_key])] or [None]
    visits = sorted({r["n_visits"] for r in costed})
    if len(visits) < 2:
        keys = keys[:1]  # one note says it for every panel
    figure, axes = plt.subplots(
        1,
        len(keys),
        figsize=(4.5 * len(keys) + LEGEND_WIDTH, 3.8),
        squeeze=False,
        sharey=True,
        layout="constrained",
    )
    groups: dict[tuple[Any, str, float], list[Mapping[str, Any]]] = defaultdict(list)
    for row in costed:
        groups[(row.get(panel_key), row["system"], row["n_visits"])].append(row)
    for ax, key in zip(axes[0], keys, strict=True):
        if not costed:
            _note(ax, "no run has an annual cost")
        elif len(visits) < 2:
            _note(
                ax,
                f"every run has {visits[0]:g} visits per day: sweep shoppers.visits_per_day over two or "
                "more values to see where the designs break even",
            )
        else:
            for system in sorted({s for k, s, _ in groups if k == key}):
                xs = sorted(x for k, s, x in groups if (k, s) == (key, system))
                cells = [_mean(finite_values(groups[(key, system, x)], "cost_annual"), 1e-3) for x in xs]
                means, halves = [m for m, _ in cells], [h for _, h in cells]
                colour = system_colour(system)
                ax.plot(xs, means, "o-", markersize=4, color=colour, label=system)
                ax.fill_between(
                    xs,
                    [m - h for m, h in zip(means, halves, strict=True)],
                    [m + h for m, h in zip(means, halves, strict=True)],
                    color=colour,
                    alpha=0.2,
                    linewidth=0,
                )
            if key is not None:
                ax.set_title(_setting(panel_key, key), fontsize=9)
        ax.set_xlabel("store traffic (visits per day)")
    axes[0][0].set_ylabel("annual cost (thousand USD)")
    _legend(figure)
    panels = f", one panel per {panel_key}" if len(keys) > 1 else ""
    _title(
        figure,
        f"annual cost vs store traffic (swept: shoppers.visits_per_day){panels}; {INTERVAL} (band) "
        f"over {_over(groups.values())}; where lines cross, designs break even",
    )
    return figure


def break_even_figure(
    rows: Sequence[Mapping[str, Any]], stem: Path, panel_key: str = "costs.rfid.tag_price"
) -> list[Path]:
    return save(draw_break_even(rows, panel_key), stem)


def draw_data_yield(
    rows: Sequence[Mapping[str, Any]], event_types: Sequence[str] = EVENT_TYPES
) -> plt.Figure:
    """Share of true events captured and attributed, by event type (bars) and system (colour); a
    design that captured nothing says so in the legend, a type no run had says so at its place."""
    systems = sorted({r["system"] for r in rows})
    figure, ax = plt.subplots(figsize=(8.0, 4.0), layout="constrained")
    if not systems:
        _note(ax, "no runs")
    keys = [f"yield_{event}_attributed" for event in event_types]
    groups, by_system = [], {}
    for system in systems:
        mine = by_system[system] = [r for r in rows if r["system"] == system]
        values = [_mean(finite_values(mine, key), 100.0) for key in keys]
        none = all(m == 0 or math.isnan(m) for m, _ in values) and any(m == 0 for m, _ in values)
        groups.append((f"{system} (captured no events)" if none else system, system_colour(system), values))
    _grouped_bars(ax, [EVENT_NAMES.get(e, e) for e in event_types], groups, missing="n/a")
    for j, (event, key) in enumerate(zip(event_types, keys, strict=True)):
        if systems and not finite_values(rows, key):
            ax.text(
                j + 0.4 - 0.4 / len(systems),
                52,
                f"no true {EVENT_NAMES.get(event, event)} events in these runs",
                ha="center",
                va="center",
                rotation=90,
                fontsize=7,
                color="0.3",
            )
    ax.set_xlabel("behavioural event type")
    ax.set_ylabel("true events captured and attributed (%)")
    _legend(figure)
    _title(
        figure,
        "Behavioural data: share of true events each design recognised and put down to the right "
        f"shopper; {INTERVAL} over {_over(by_system.values())}",
    )
    return figure


def data_yield_figure(
    rows: Sequence[Mapping[str, Any]], stem: Path, event_types: Sequence[str]
) -> list[Path]:
    return save(draw_data_yield(rows, event_types), stem)


def draw_rfid_material(
    rows: Sequence[Mapping[str, Any]], materials: Sequence[str] = MATERIALS, group_key: str = "catalog"
) -> plt.Figure:
    """RFID gate unit read rate by packaging material, one bar group per store type."""
    read = [r for r in rows if finite_values([r], "rfid_unit_read_rate")]
    labels = sorted({str(r.get(group_key)) for r in read})
    palette = plt.get_cmap("Set2").colors
    figure, ax = plt.subplots(figsize=(7.0, 4.0), layout="constrained")
    if not read:
        _note(ax, "no tagged unit went through an RFID gate in these runs")
    groups, members = [], []
    for i, label in enumerate(labels):
        mine = [r for r in read if str(r.get(group_key)) == label]
        members.append(mine)
        values = [_mean(finite_values(mine, f"rfid_read_rate_{m}"), 100.0) for m in materials]
        name = "all runs" if label == "None" else f"{group_key} = {label}"
        groups.append((name, palette[i % len(palette)], values))
    _grouped_bars(ax, materials, groups, missing="no units")
    ax.set_xlabel("packaging material")
    ax.set_ylabel("tagged units read at the exit gate (%)")
    _legend(figure)
    per = f", per {group_key}" if len(labels) > 1 else ""
    _title(figure, f"RFID gate read rate by packaging material{per}; {INTERVAL} over {_over(members)}")
    return figure


def rfid_material_figure(
    rows: Sequence[Mapping[str, Any]], stem: Path, materials: Sequence[str], group_key: str = "catalog"
) -> list[Path]:
    return save(draw_rfid_material(rows, materials, group_key), stem)


def _reliability_panel(top: plt.Axes, bottom: plt.Axes, system: str, runs: Sequence[Sequence[list]]) -> None:
    """One design: per confidence bin, accuracy (mean and t-interval over runs with decisions in
    the bin) at the pooled mean confidence above, and the pooled number of decisions below."""
    count = [sum(run[0][b] for run in runs) for b in range(len(runs[0][0]))]
    colour = system_colour(system)
    top.plot([0, 1], [0, 1], "k:", linewidth=1, label="perfect calibration")
    top.set_title(system, fontsize=9)
    if not sum(count):
        _note(top, "no decisions")
        _note(bottom, "no decisions")
        return
    xs, means, halves = [], [], []
    for b, n in enumerate(count):
        if n:
            xs.append(sum(run[1][b] for run in runs) / n)
            mean, half = _mean([run[2][b] / run[0][b] for run in runs if run[0][b]])
            means.append(mean)
            halves.append(half)
    top.errorbar(xs, means, yerr=halves, marker="o", markersize=3, capsize=2, color=colour)
    width = 1.0 / len(count)
    bottom.bar([(b + 0.5) * width for b in range(len(count))], count, width * 0.9, color=colour, alpha=0.7)
    bottom.set_yscale("log")


def draw_reliability(rows: Sequence[Mapping[str, Any]]) -> plt.Figure:
    """Reliability diagram of each fusion system's MAP decisions, one small panel per design with
    the number of decisions per confidence bin under it."""
    runs: dict[str, list[list[list[float]]]] = defaultdict(list)
    members: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if isinstance(row.get("reliability_count"), list):
            parts = ("reliability_count", "reliability_confidence_sum", "reliability_correct")
            runs[row["system"]].append([list(map(float, row[p])) for p in parts])
            members[row["system"]].append(row)
    systems = sorted(runs)
    if not systems:
        figure, ax = plt.subplots(figsize=(4.6, 4.0), layout="constrained")
        _note(ax, "no design in these runs reports confidence bins")
        ax.set_xlabel("confidence (MAP posterior)")
        ax.set_ylabel("accuracy (share)")
        _title(figure, "Reliability of MAP decisions: no data")
        return figure
    cols = min(len(systems), 3)
    figure = plt.figure(figsize=(3.4 * cols, 3.6 * math.ceil(len(systems) / cols)), layout="constrained")
    outer = figure.add_gridspec(math.ceil(len(systems) / cols), cols)
    first: tuple[plt.Axes, plt.Axes] | None = None
    for i, system in enumerate(systems):
        inner = outer[i // cols, i % cols].subgridspec(2, 1, height_ratios=(3, 1))
        top = figure.add_subplot(
            inner[0], sharex=first[0] if first else None, sharey=first[0] if first else None
        )
        bottom = figure.add_subplot(inner[1], sharex=top, sharey=first[1] if first else None)
        first = first or (top, bottom)
        _reliability_panel(top, bottom, system, runs[system])
        top.tick_params(labelbottom=False)
        bottom.set_xlabel("confidence (MAP posterior)")
        if i % cols == 0:
            top.set_ylabel("accuracy (share)")
            bottom.set_ylabel("decisions (count)")
    first[0].set_xlim(0, 1)
    first[0].set_ylim(-0.05, 1.05)
    _legend(figure)
    n_bins = len(runs[systems[0]][0][0])
    _title(
        figure,
        f"Reliability of each design's MAP decisions ({n_bins} confidence bins): accuracy per bin, "
        f"{INTERVAL} over {_over(members.values())}; bars: decisions per bin, all runs (log scale)",
    )
    return figure


def reliability_figure(rows: Sequence[Mapping[str, Any]], stem: Path) -> list[Path]:
    return save(draw_reliability(rows), stem)


# --- every figure a sweep supports ------------------------------------------------------------------


def draw_standard_figures(
    rows: Sequence[Mapping[str, Any]], scenario: Sequence[str], summary: Sequence[Mapping[str, Any]]
) -> dict[str, plt.Figure]:
    """Every standard figure the rows have data for, by file name (without suffix). A figure whose
    swept axis holds a single value (break-even from one visits per day) is drawn with a note that
    says so."""
    figures: dict[str, plt.Figure] = {}
    for key in scenario:
        values = {r.get(key) for r in rows}
        if len(values) > 1 and all(_numeric(v) for v in values) and key != "costs.rfid.tag_price":
            figures["accuracy_vs_" + key.split(".")[-1]] = draw_metric_vs(
                summary, key, "receipt_exact", LABELS.get(key, key), "exact receipts (%)", scenario=scenario
            )
    if "decision.review_threshold" in scenario:
        figures["accuracy_vs_cost"] = draw_pareto(rows)
    if "shoppers.visits_per_day" in scenario and any(r.get("cost_annual") is not None for r in rows):
        figures["break_even"] = draw_break_even(rows)
    if any(r.get("yield_take_attributed") is not None for r in rows):
        figures["data_yield"] = draw_data_yield(rows, EVENT_TYPES)
    if any(r.get("rfid_unit_read_rate") is not None for r in rows):
        figures["rfid_read_rate_by_material"] = draw_rfid_material(rows, MATERIALS)
    if any(isinstance(r.get("reliability_count"), list) for r in rows):
        figures["reliability"] = draw_reliability(rows)
    swept = [
        k for k in scenario if len({r.get(k) for r in rows}) > 1 and all(_numeric(r.get(k)) for r in rows)
    ]
    systems = {r.get("system") for r in rows}
    if len(swept) == 2 and {"vision_fusion", "rfid_gate"} <= systems:
        figures["flip_map"] = draw_flip_map(rows, *swept, "vision_fusion", "rfid_gate")
    return figures


# (metric, panel label, scale, whether lower is better) of a flip map's panels
FLIP_METRICS = (
    ("receipt_exact", "exact receipts (points)", 100.0, False),
    ("cost_per_correct_receipt", "cost per correct receipt (USD)", 1.0, True),
    ("at95_cost_per_correct_receipt", "cost per correct receipt at 95 % exact (USD)", 1.0, True),
)
UNDECIDED = "0.85"


def draw_flip_map(
    rows: Sequence[Mapping[str, Any]], x_key: str, y_key: str, design: str, versus: str
) -> plt.Figure:
    """Where the verdict flips: over a grid of two swept settings, which of two designs wins on
    each metric, cell by cell, from their paired difference over the runs of the cell (both saw
    the same visits). A cell whose 95 % t-interval holds zero (or has one run) is the uncertainty
    band between the regions, drawn grey; each cell says the mean difference and half-width."""
    metrics = [m for m in FLIP_METRICS if any(_numeric(r.get(m[0])) for r in rows)]
    diffs = [
        e
        for e in paired_differences(rows, [x_key, y_key], [m for m, *_ in metrics], versus)
        if e["system"] == design
    ]
    xs = sorted({e[x_key] for e in diffs if _numeric(e[x_key])})
    ys = sorted({e[y_key] for e in diffs if _numeric(e[y_key])})
    figure, axes = _grid(max(len(metrics), 1), 4.6, 3.9)
    counts = []
    for ax, (metric, label, scale, lower_better) in zip(axes, metrics, strict=False):
        grid = np.full((len(ys), len(xs), 3), 1.0)
        for e in diffs:
            if e[x_key] not in xs or e[y_key] not in ys or e.get(f"{metric}_diff") is None:
                continue
            mean, half, n = (e[f"{metric}_diff{s}"] for s in ("", "_ci95", "_n"))
            counts.append(n)
            decided = half is not None and abs(mean) > half
            mine = decided and (mean < 0 if lower_better else mean > 0)
            colour = system_colour(design) if mine else system_colour(versus) if decided else UNDECIDED
            i, j = ys.index(e[y_key]), xs.index(e[x_key])
            grid[i, j] = matplotlib.colors.to_rgb(colour)
            spread = "—" if half is None else f"{half * scale:.2g}"
            ax.text(j, i, f"{mean * scale:+.2g}\n± {spread}", ha="center", va="center", fontsize=7)
        ax.imshow(grid, origin="lower", aspect="auto")
        ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
        ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
        ax.set_xlabel(LABELS.get(x_key, x_key))
        ax.set_ylabel(LABELS.get(y_key, y_key))
        ax.set_title(f"{label}: {design} − {versus}", fontsize=9)
        if len(xs) < 2 or len(ys) < 2:
            _note(ax, f"sweep {x_key} and {y_key} over two or more values each for a map")
    if not metrics:
        _note(axes[0], "no run has exact receipts or costs")
    for name, colour in ((design, system_colour(design)), (versus, system_colour(versus))):
        axes[0].fill_between([], [], color=colour, label=f"{name} wins")
    axes[0].fill_between([], [], color=UNDECIDED, label="95 % interval holds 0")
    _legend(figure)
    _title(
        figure,
        f"Where the verdict flips: {design} against {versus}, paired difference per cell "
        f"({INTERVAL}, {_count(counts, 'run')} per cell)",
    )
    return figure


def draw_decision(
    nominal: Any,
    draws: Any,
    drivers: Any,
    winner: str | None,
    target: float,
    labels: Mapping[str, str],
    metric: str = "cost per correct receipt",
) -> plt.Figure:
    """A decision at a glance: each design's cost per correct receipt at the target on the
    nominal days (mean and t-interval, the winner outlined), then the winner's margin over the
    cheapest other design in every draw against each of the three parameters that pull it most
    (below zero: the winner lost that draw; a draw where a side misses the target is off the
    scale, and counted). `labels` names each parameter's axis, with its unit."""
    top = list(drivers.index[:3]) if winner is not None else []
    figure, axes = _grid(1 + len(top), 4.2, 3.6)
    ax = axes[0]
    names = list(nominal.index)
    means = nominal["mean"].to_numpy(dtype=float)
    halves = np.nan_to_num(nominal["half_width"].to_numpy(dtype=float))
    bars = ax.bar(
        names, np.nan_to_num(means), yerr=halves, capsize=3, color=[system_colour(n) for n in names]
    )
    for name, bar, mean in zip(names, bars, means, strict=True):
        bar.set_label(name)
        if name == winner:
            bar.set_edgecolor("black")
            bar.set_linewidth(2.0)
        if np.isnan(mean):
            ax.text(
                bar.get_x() + bar.get_width() / 2, 0, "cannot\nreach it", ha="center", va="bottom", fontsize=7
            )
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    ax.set_xlabel("design")
    ax.set_ylabel(f"{metric} at {target:.0%} exact (USD)")
    ax.set_title("nominal days", fontsize=9)
    for ax, name in zip(axes[1:], top, strict=True):
        colours = [system_colour(w) if isinstance(w, str) else UNDECIDED for w in draws["winner"]]
        margin = draws["margin"].replace([np.inf, -np.inf], np.nan)
        ax.scatter(draws[name], margin, c=colours, s=14)
        ax.axhline(0.0, color="0.3", linewidth=0.8)
        ax.set_xlabel(labels.get(name, name))
        ax.set_ylabel(f"{winner}'s margin (USD)")
        off = int((~np.isfinite(draws["margin"].to_numpy(dtype=float))).sum())
        beyond = f"; {off} draw{'s' * (off != 1)} off the scale" if off else ""
        ax.set_title(f"ρ {drivers.loc[name, 'rho']:+.2f}{beyond}", fontsize=9)
    _legend(figure)
    days = int(nominal["days"].max()) if len(nominal) else 0
    _title(
        figure,
        f"Which design at {target:.0%} exact receipts: {INTERVAL} over {_count([days], 'seed')} of the "
        f"store as configured; {_count([len(draws)], 'run')} with the uncertain parameters drawn "
        "(colour: the draw's winner)",
    )
    return figure


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


def draw_tornado(table: Any, output: str, method: str, runs: int, n_points: int) -> plt.Figure:
    """One output's sensitivity indices as horizontal bars, most influential on top: Morris μ*
    with its 95 % bootstrap interval (σ as a second bar: non-linear or interacting), or Sobol ST
    with S1 inside it (ST − S1: what a parameter does through interactions)."""
    names = list(table.index)[::-1]
    figure, ax = plt.subplots(figsize=(6.4, 0.35 * len(names) + 1.6), layout="constrained")
    rows = range(len(names))
    if method == "morris":
        ax.barh(
            rows,
            table["mu_star"][names],
            xerr=table["mu_star_conf"][names],
            color="#1f77b4",
            label="μ* (mean |effect|)",
        )
        ax.barh(rows, table["sigma"][names], height=0.3, color="#ff7f0e", label="σ (spread of the effect)")
        ax.set_xlabel(f"elementary effect on {output} over each range (output's units)")
        what = (
            f"Morris μ* and σ over {runs} trajectories ({n_points} store-days); "
            f"bars: 95{NBSP}% bootstrap interval of μ*"
        )
    else:
        ax.barh(rows, table["ST"][names], xerr=table["ST_conf"][names], color="#1f77b4", label="ST (total)")
        ax.barh(rows, table["S1"][names], height=0.3, color="#ff7f0e", label="S1 (alone)")
        ax.set_xlabel(f"share of the variance of {output} (-)")
        what = (
            f"Sobol indices from {n_points} store-days ({runs} base samples); bars: 95{NBSP}% interval of ST"
        )
    ax.set_yticks(list(rows), names)
    ax.set_ylabel("uncertain parameter")
    _legend(figure)
    _title(figure, f"What moves {output}: {what}")
    return figure


def tornado_figure(table: Any, output: str, design: Any, n_points: int, stem: Path) -> list[Path]:
    return save(draw_tornado(table, output, design.method, design.runs, n_points), stem)
