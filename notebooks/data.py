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
# # Data yield and the value of the data
#
# Which behavioural events each design captures (from the `data_yield` preset's sweep under the
# repository's `multirun/`, or those in `CHECKOUT_LAB_SWEEPS`; without it the notebook prints the
# command that makes it), and whether those events improve demand forecasts (a small
# value-of-data run, in-process, which needs no sweep).

# %%
from hydra import compose, initialize_config_dir

from toolkit import figures
from toolkit.metrics.data_yield import EVENT_TYPES
from toolkit.notebooks import figures_dir, find_sweeps, repo_root
from toolkit.report import collect
from toolkit.value import value_of_data

rows, _ = collect(find_sweeps("data_yield"))
if rows:
    figures.show(figures.data_yield_figure(rows, figures_dir() / "data_yield", EVENT_TYPES))

# %% [markdown]
# Forecast error (WAPE) of next-day demand with point-of-sale data alone and with behavioural data,
# on the same simulated days, where stock runs short.

# %%
with initialize_config_dir(config_dir=str(repo_root() / "configs"), version_base="1.3"):
    cfg = compose(
        "data_value",
        overrides=[
            "store.units_per_facing=3",
            "shoppers.restock_hours=[]",
            "shoppers.visits_per_day=300",
            "value.n_days=10",
            "value.window_days=3",
            "value.shaping_start_day=5",
        ],
    )
record = value_of_data(cfg.catalog, cfg.store, cfg.shoppers, cfg.value, seed=0)
print(f"{record['lost_sales_share']:.0%} of demand lost to stock-outs")
for source, error in record["wape"].items():
    print(f"WAPE {source:<20} {error:.3f}")
