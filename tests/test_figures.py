"""Figures fit for a paper: each standard figure, drawn from a small real sweep, says what was swept
and over how many seeds, labels its axes with units, draws Student-t intervals, keeps its legend
off the data, and says so in a note where the data cannot fill a panel."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import CONFIG_DIR, ROOT, TINY, compose_config
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb
from omegaconf import OmegaConf
from scipy import stats

from toolkit import figures
from toolkit.comparison import run_comparison
from toolkit.io import write_json_atomic
from toolkit.metrics.data_yield import EVENT_TYPES
from toolkit.report import collect, summarise

VISITS = (60, 120)
SEEDS = (0, 1, 2)
N_RUNS = len(VISITS) * len(SEEDS)
# fixed on the command line, so the review threshold is a scenario column and the Pareto figure is drawn
THRESHOLD = "decision.review_threshold=0.5"
# the figure each preset exists for
PRESET_FIGURE = {
    "accuracy_vs_crowding": "accuracy_vs_visits_per_day",
    "accuracy_vs_lookalikes": "accuracy_vs_lookalike_share",
    "accuracy_vs_cost": "accuracy_vs_cost",
    "break_even": "break_even",
    "data_yield": "data_yield",
    "rfid_materials": "rfid_read_rate_by_material",
    "reliability": "reliability",
    "flip_map": "flip_map",
}
COUNT = re.compile(r"\b\d+(–\d+)? (seeds?|runs?)\b")


def run_into(directory: Path, overrides: Sequence[str]) -> None:
    """One run in this process, its metrics.json written where a sweep job would write it, with
    the overrides Hydra would record."""
    directory.mkdir(parents=True)
    write_json_atomic(
        directory / "metrics.json", run_comparison(compose_config(overrides), overrides=overrides)
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Visits per day 60 and 120, three seeds each, every design: enough for every standard figure."""
    out = tmp_path_factory.mktemp("figures_sweep")
    for job, (visits, seed) in enumerate(itertools.product(VISITS, SEEDS)):
        run_into(out / str(job), [f"shoppers.visits_per_day={visits}", f"seed={seed}", THRESHOLD, *TINY])
    return out


@pytest.fixture(scope="module")
def tables(sweep: Path) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    rows, scenario = collect([sweep])
    return rows, scenario, summarise(rows, scenario, ["receipt_exact", "cost_annual"])


def labelled(ax: plt.Axes, axis: str) -> str:
    """The axis label, or that of an axes sharing the axis (a grid labels its outer panels)."""
    shared = ax.get_shared_x_axes() if axis == "x" else ax.get_shared_y_axes()
    getter = "get_xlabel" if axis == "x" else "get_ylabel"
    return next((label for a in [ax, *shared.get_siblings(ax)] if (label := getattr(a, getter)())), "")


def plotted_x(ax: plt.Axes) -> set[float]:
    """The distinct x values of the data drawn (lines, markers, error bars, bands, bars, map cells)."""
    xs = [x for line in ax.lines for x in np.asarray(line.get_xdata(), float)]
    for drawn in ax.collections:  # scatter markers by their offsets, bars and bands by their outlines
        if isinstance(drawn, PathCollection):
            xs += list(np.asarray(drawn.get_offsets(), float).reshape(-1, 2)[:, 0])
        else:
            xs += [x for path in drawn.get_paths() for x in path.vertices[:, 0]]
    xs += [p.get_x() + p.get_width() / 2 for p in ax.patches]
    for image in ax.get_images():  # a map's cells, centred on their columns
        left, right, _, _ = image.get_extent()
        columns = image.get_array().shape[1]
        xs += list(left + (np.arange(columns) + 0.5) * (right - left) / columns)
    return {round(x, 9) for x in xs if math.isfinite(x)}


def check_figure(name: str, figure: plt.Figure) -> str:
    """Every check a figure for a paper must pass; returns its title for figure-specific checks."""
    figure.canvas.draw()  # lay out, so legends and axes are where the saved file has them
    renderer = figure.canvas.get_renderer()
    title = " ".join(figure.get_suptitle().split())
    assert COUNT.search(title), f"{name}: the title does not say over how many seeds: {title!r}"
    assert "t-interval" in title, f"{name}: the title does not say what the intervals are: {title!r}"
    boxes = [ax.get_window_extent(renderer) for ax in figure.axes]
    for ax in figure.axes:
        for low, high in (ax.get_xlim(), ax.get_ylim()):
            assert math.isfinite(low) and math.isfinite(high) and low < high, f"{name}: degenerate axis"
        xlabel, ylabel = labelled(ax, "x"), labelled(ax, "y")
        assert xlabel and ylabel, f"{name}: an axis without a label"
        assert re.search(r"\(.+\)", ylabel), f"{name}: no unit on {ylabel!r}"
        categorical = any(re.search("[A-Za-z]", t.get_text()) for t in ax.get_xticklabels())
        assert categorical or re.search(r"\(.+\)", xlabel), f"{name}: no unit on {xlabel!r}"
        noted = any(t.get_gid() == "note" for t in ax.texts)
        assert categorical or noted or len(plotted_x(ax)) > 1, f"{name}: data at one x value and no note"
    legends = [*figure.legends, *(ax.get_legend() for ax in figure.axes if ax.get_legend())]
    for legend in legends:
        extent = legend.get_window_extent(renderer)
        assert not any(extent.overlaps(box) for box in boxes), f"{name}: the legend covers a panel"
    return title


def check_standard_figures(drawn: Mapping[str, plt.Figure]) -> None:
    try:
        for name, figure in drawn.items():
            check_figure(name, figure)
    finally:
        plt.close("all")


def test_every_standard_figure_is_fit_for_a_paper(tables):
    rows, scenario, summary = tables
    drawn = figures.draw_standard_figures(rows, scenario, summary)
    assert set(drawn) == {
        "accuracy_vs_visits_per_day",
        "accuracy_vs_cost",
        "break_even",
        "data_yield",
        "rfid_read_rate_by_material",
        "reliability",
    }
    titles = {name: check_figure(name, figure) for name, figure in drawn.items()}
    plt.close("all")
    assert "shoppers.visits_per_day" in titles["accuracy_vs_visits_per_day"]
    assert "over 3 seeds" in titles["accuracy_vs_visits_per_day"]
    assert "over 3 seeds" in titles["break_even"]
    # a Pareto point pools both visits per day: runs, not seeds
    assert f"over {N_RUNS} runs, other settings pooled" in titles["accuracy_vs_cost"]


def test_intervals_are_student_t_over_seeds(tables):
    """The error bar drawn for each (system, visits per day) is the t-interval of its three runs."""
    rows, _, summary = tables
    figure = figures.draw_metric_vs(
        summary, "shoppers.visits_per_day", "receipt_exact", "visits per day", "exact receipts (%)"
    )
    drawn = {}
    for container in figure.axes[0].containers:
        (bars,) = container.lines[2]
        for (_, low), (_, high) in bars.get_segments():
            drawn.setdefault(container.get_label(), []).append((high - low) / 2)
    plt.close(figure)
    for system, halves in drawn.items():
        expected = []
        for visits in VISITS:
            values = [
                100 * r["receipt_exact"]
                for r in rows
                if r["system"] == system and r["shoppers.visits_per_day"] == visits
            ]
            mean, sem = sum(values) / len(values), stats.sem(values)
            expected.append(stats.t.interval(0.95, len(values) - 1, loc=mean, scale=sem)[1] - mean)
        assert halves == pytest.approx(expected, rel=1e-9), system


def test_a_single_swept_value_gets_a_note_not_a_point(tables):
    rows, _, summary = tables
    one = [r for r in rows if r["shoppers.visits_per_day"] == VISITS[0]]
    figure = figures.draw_break_even(one)
    assert figures.notes(figure) == [
        f"every run has {VISITS[0]} visits per day: sweep shoppers.visits_per_day over two or more "
        "values to see where the designs break even"
    ]
    assert not figure.axes[0].lines
    check_figure("break_even", figure)
    figure = figures.draw_metric_vs(
        [e for e in summary if e["shoppers.visits_per_day"] == VISITS[0]],
        "shoppers.visits_per_day",
        "receipt_exact",
        "visits per day (visits)",
        "exact receipts (%)",
    )
    assert "sweep it over two or more values" in figures.notes(figure)[0]
    plt.close("all")


@pytest.mark.parametrize(
    "draw",
    [
        figures.draw_pareto,
        figures.draw_break_even,
        figures.draw_data_yield,
        figures.draw_rfid_material,
        figures.draw_reliability,
        lambda rows: figures.draw_metric_vs(rows, "x", "receipt_exact", "x (units)", "y (%)"),
    ],
    ids=["pareto", "break_even", "data_yield", "rfid_material", "reliability", "metric_vs"],
)
def test_a_figure_without_data_says_so(draw):
    figure = draw([])
    assert figures.notes(figure), "an empty panel without a note"
    plt.close(figure)


def test_data_yield_explains_missing_bars(tables):
    rows, _, _ = tables
    figure = figures.draw_data_yield(rows, EVENT_TYPES)
    ax = figure.axes[0]
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    values = {
        (system, event): [r[f"yield_{event}_attributed"] for r in rows if r["system"] == system]
        for system in {r["system"] for r in rows}
        for event in EVENT_TYPES
    }
    measured = {k: [v for v in vs if v is not None] for k, vs in values.items()}
    zero_bars = [k for k, vs in measured.items() if vs and not any(vs)]
    blank = {s for s, _ in zero_bars if not any(any(vs) for (t, _), vs in measured.items() if t == s)}
    assert "rfid_gate" in blank  # the exit gate sees tags, not what shoppers did at the shelves
    assert sorted(label for label in labels if label.endswith("(captured no events)")) == sorted(
        f"{s} (captured no events)" for s in blank
    )
    assert len([t for t in ax.texts if t.get_text() == "0"]) == len(zero_bars)
    none_seen = [e for e in EVENT_TYPES if all(r.get(f"yield_{e}_attributed") is None for r in rows)]
    said = [t.get_text() for t in ax.texts if t.get_text().startswith("no true")]
    assert said == [f"no true {figures.EVENT_NAMES.get(e, e)} events in these runs" for e in none_seen]
    plt.close(figure)


def test_reliability_diagram_shows_bin_counts_per_design(tables):
    rows, _, _ = tables
    figure = figures.draw_reliability(rows)
    designs = sorted({r["system"] for r in rows if isinstance(r.get("reliability_count"), list)})
    assert len(designs) >= 2
    for system in designs:
        (top,) = [ax for ax in figure.axes if ax.get_title() == system]
        (bottom,) = [
            ax
            for ax in figure.axes
            if ax is not top and ax.get_subplotspec().get_gridspec() is top.get_subplotspec().get_gridspec()
        ]
        counted = sum(patch.get_height() for patch in bottom.patches)
        assert counted == sum(sum(r["reliability_count"]) for r in rows if r["system"] == system)
        assert bottom.get_yscale() == "log"
    check_figure("reliability", figure)
    plt.close(figure)


def test_one_run_figure_says_it_has_no_interval(sweep):
    record = json.loads((sweep / "0" / "metrics.json").read_text())
    figure = figures.draw_comparison(record)
    title = " ".join(figure.get_suptitle().split())
    assert "n = 1" in title and "no interval" in title
    for ax in figure.axes:
        assert re.search(r"\(.+\)", ax.get_ylabel())
    plt.close(figure)


def test_report_prints_a_table_within_120_columns_and_saves_every_figure(sweep, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("report_cli", ROOT / "experiments" / "report.py")
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    assert report.main([str(sweep), "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if len(line) > 120 and str(tmp_path) not in line] == []
    # the gate's rows: in the summary and in the cost at each target (it is the paired reference)
    targets = sum(line.startswith("cost at equal accuracy, ") for line in lines)
    assert targets == len(compose_config().equal_accuracy.targets)
    assert sum(line.startswith("rfid_gate ") for line in lines) == (1 + targets) * len(VISITS)
    with open(tmp_path / "equal_accuracy.csv") as fh:
        equal = list(csv.DictReader(fh))
    assert {"rfid_gate", "vision_fusion"} <= {e["system"] for e in equal}
    assert all(float(e["at95_cost_per_correct_receipt"]) > 0 for e in equal if e["at95_reachable"] == "1.0")
    for name in ("accuracy_vs_visits_per_day", "break_even", "reliability"):
        assert f"figure {name}" in lines
        for suffix in (".png", ".pdf"):
            assert (tmp_path / name).with_suffix(suffix).stat().st_size > 0


def preset_jobs(preset: str) -> list[list[str]]:
    """A preset's own sweep, each swept setting cut to its first two values, over three seeds."""
    params = OmegaConf.load(CONFIG_DIR / "experiment" / f"{preset}.yaml").hydra.sweeper.params
    axes = [
        [f"{key}={value}" for value in str(values).split(",")[:2]]
        for key, values in params.items()
        if key != "seed"
    ]
    return [
        [*combination, f"seed={seed}", f"experiment={preset}", *TINY]
        for combination in itertools.product(*axes)
        for seed in SEEDS
    ]


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(PRESET_FIGURE))
def test_every_preset_draws_figures_fit_for_a_paper(preset, tmp_path):
    for job, overrides in enumerate(preset_jobs(preset)):
        run_into(tmp_path / str(job), overrides)
    rows, scenario = collect([tmp_path])
    drawn = figures.draw_standard_figures(rows, scenario, summarise(rows, scenario, ["receipt_exact"]))
    assert PRESET_FIGURE[preset] in drawn
    check_standard_figures(drawn)


def test_a_flip_map_colours_each_cell_by_its_paired_winner_and_greys_the_undecided():
    """Fusion is 10 points ahead at high buy rates, 10 behind at low ones, level in between; the
    gate is always cheaper. Three runs a cell with a little spread shared by both designs."""
    rows = []
    for run, (buy, visits, seed) in enumerate(itertools.product((0.3, 0.5, 0.7), (250, 500), SEEDS)):
        day = 0.02 * seed
        gap = {0.3: -0.1, 0.5: 0.001 * (seed - 1), 0.7: 0.1}[buy]
        for system, exact, cost in (
            ("vision_fusion", 0.8 + gap + day, 3.0),
            ("rfid_gate", 0.8 + day, 1.0 + day),
        ):
            rows.append(
                {
                    "run": run,
                    "seed": seed,
                    "system": system,
                    "shoppers.p_buy_given_pick": buy,
                    "shoppers.visits_per_day": visits,
                    "receipt_exact": exact,
                    "cost_per_correct_receipt": cost,
                }
            )
    figure = figures.draw_flip_map(
        rows, "shoppers.visits_per_day", "shoppers.p_buy_given_pick", "vision_fusion", "rfid_gate"
    )
    try:
        check_figure("flip_map", figure)
        exact, cost = figure.axes[:2]
        grid = exact.get_images()[0].get_array()
        fusion, gate = (np.array(to_rgb(figures.system_colour(s))) for s in ("vision_fusion", "rfid_gate"))
        assert np.allclose(grid[2, :], fusion) and np.allclose(grid[0, :], gate)  # rows: buy rate
        assert np.allclose(grid[1, :], to_rgb(figures.UNDECIDED))
        assert np.allclose(cost.get_images()[0].get_array(), gate)  # the gate is cheaper everywhere
        assert "3 runs per cell" in " ".join(figure.get_suptitle().split())
    finally:
        plt.close("all")
