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
# `accuracy_vs_cost` under the repository's `multirun/` (without them it prints the commands that
# make them), or the sweep directories in `CHECKOUT_LAB_SWEEPS`, separated by `:`.

# %%
from toolkit import figures
from toolkit.notebooks import figures_dir, find_sweeps
from toolkit.report import collect, summarise

SWEEPS = find_sweeps("accuracy_vs_crowding", "accuracy_vs_lookalikes", "accuracy_vs_cost")
OUT = figures_dir()

# %% [markdown]
# Exact receipts (mean and 95 % interval over seeds) against every swept setting, per sweep; where
# the review threshold is swept, exact receipts against cost per visit (USD per visit).

# %%
for sweep in SWEEPS:
    rows, scenario = collect([sweep])
    summary = summarise(rows, scenario, ["receipt_exact"])
    for key in scenario:
        values = {r.get(key) for r in rows}
        if len(values) > 1 and all(isinstance(v, int | float) for v in values):
            stem = OUT / f"{sweep.name}_receipts_vs_{key.split('.')[-1]}"
            label = figures.LABELS.get(key, key)  # the axis with its unit
            figures.show(
                figures.metric_vs_figure(
                    summary, key, "receipt_exact", stem, label, "exact receipts (%)", scenario=scenario
                )
            )
    if "decision.review_threshold" in scenario:
        figures.show(figures.pareto_figure(rows, OUT / f"{sweep.name}_pareto"))
