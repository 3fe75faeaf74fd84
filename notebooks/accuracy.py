# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Accuracy: crowding, look-alikes, and the accuracy/cost trade-off
#
# Reads the sweeps of the presets `accuracy_vs_crowding`, `accuracy_vs_lookalikes` and
# `accuracy_vs_cost` (run them with `make figures`, or point `CHECKOUT_LAB_SWEEPS` at your own
# sweep directories, separated by `:`).

# %%
import os
from pathlib import Path

from toolkit import figures
from toolkit.report import collect, summarise

SWEEPS = os.environ.get(
    "CHECKOUT_LAB_SWEEPS",
    "multirun/accuracy_vs_crowding:multirun/accuracy_vs_lookalikes:multirun/accuracy_vs_cost",
)
OUT = Path(os.environ.get("CHECKOUT_LAB_FIGURES", "notebooks/figures"))

# %% [markdown]
# Exact receipts (mean and 95 % interval over seeds) against every swept setting, per sweep.

# %%
for sweep in map(Path, SWEEPS.split(os.pathsep)):
    if not sweep.is_dir():
        print(f"{sweep}: not run yet")
        continue
    rows, scenario = collect([sweep])
    summary = summarise(rows, scenario, ["receipt_exact", "cost_per_visit"])
    for key in scenario:
        values = {r.get(key) for r in rows}
        if len(values) > 1 and all(isinstance(v, int | float) for v in values):
            stem = OUT / f"{sweep.name}_receipts_vs_{key.split('.')[-1]}"
            figures.show(
                figures.metric_vs_figure(summary, key, "receipt_exact", stem, key, "exact receipts (%)")
            )
    if "decision.review_threshold" in scenario:
        figures.show(figures.pareto_figure(rows, OUT / f"{sweep.name}_pareto"))
