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
# Reads the `break_even` preset's sweep (or `CHECKOUT_LAB_SWEEPS`): annual cost against visits per
# day, one panel per tag price, and each design's cost by line item.

# %%
import os
from pathlib import Path

from toolkit import figures
from toolkit.report import collect

SWEEPS = [Path(p) for p in os.environ.get("CHECKOUT_LAB_SWEEPS", "multirun/break_even").split(os.pathsep)]
OUT = Path(os.environ.get("CHECKOUT_LAB_FIGURES", "notebooks/figures"))
rows, scenario = collect([s for s in SWEEPS if s.is_dir()])
print(f"{len(rows)} rows; swept: {scenario}")

# %%
if rows:
    figures.show(figures.break_even_figure(rows, OUT / "break_even"))

# %% [markdown]
# Annual cost by line item (thousand USD), first run of each system.

# %%
seen = set()
for row in rows:
    if row["system"] in seen:
        continue
    seen.add(row["system"])
    items = {
        k.removeprefix("cost_"): v / 1000
        for k, v in row.items()
        if k.startswith("cost_")
        and k
        not in (
            "cost_annual",
            "cost_fixed_annual",
            "cost_variable_per_visit",
            "cost_per_visit",
            "cost_per_correct_receipt",
        )
        and v
    }
    print(row["system"], {k: round(v, 1) for k, v in items.items()})
