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
# # Cost of ownership and break-even
#
# Reads the `break_even` preset's sweep under the repository's `multirun/` (without it the notebook
# prints the command that makes it), or those in `CHECKOUT_LAB_SWEEPS`: annual cost against visits
# per day, one panel per tag price, and each design's cost by line item.

# %%
import pandas as pd

from toolkit import figures
from toolkit.notebooks import figures_dir, find_sweeps
from toolkit.report import collect

rows, scenario = collect(find_sweeps("break_even"))
print(f"{len(rows)} rows; swept: {scenario}")

# %%
if rows:
    figures.show(figures.break_even_figure(rows, figures_dir() / "break_even"))

# %% [markdown]
# Each design's cost in the sweep's first run: by line item per year (thousand USD per year), and
# split per visit into what the design costs to run and what its mistakes cost (USD per visit).
# The line items are those of `toolkit.metrics.cost.annual_cost`: the check below fails if one is
# added there and not here.

# %%
LINE_ITEMS = (
    "depreciation",
    "maintenance",
    "power",
    "tags",
    "review",
    "exit_check",
    "undercharge",
    "overcharge",
)
PER_VISIT = {"run": "cost_operations_per_visit", "errors": "cost_errors_per_visit", "total": "cost_per_visit"}

first = [r for r in rows if r["run"] == rows[0]["run"]]
if first:
    print("scenario:", {key: first[0].get(key) for key in scenario}, "seed", first[0]["seed"])
    annual = pd.DataFrame(
        [[r[f"cost_{item}"] / 1000 for item in LINE_ITEMS] + [r["cost_annual"] / 1000] for r in first],
        index=pd.Index([r["system"] for r in first], name="system"),
        columns=pd.Index([*LINE_ITEMS, "total"], name="thousand USD per year"),
    )
    unlisted = annual["total"] - annual[list(LINE_ITEMS)].sum(axis=1)
    assert unlisted.abs().max() < 1e-6, f"line items missing from LINE_ITEMS: {unlisted.to_dict()}"
    per_visit = pd.DataFrame(
        [[r[key] for key in PER_VISIT.values()] for r in first],
        index=annual.index,
        columns=pd.Index(list(PER_VISIT), name="USD per visit"),
    )
    print(annual.round(1).to_string(), per_visit.round(3).to_string(), sep="\n\n")
