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
# # Which design should this store buy?
#
# Reads the newest `experiments/decide.py` sweep under the repository's `multirun/decide/` (without
# one it prints the command that makes it), or the sweep directories in `CHECKOUT_LAB_SWEEPS`, and
# reproduces what the command printed: each design's cost per correct receipt at the target share
# of exact receipts over the nominal days, the winner, the probability it stays the winner when the
# uncertain parameters are drawn over their ranges, and the parameters most likely to change it.

# %%
import pandas as pd

from toolkit import figures
from toolkit.decision import draw, format_decision, from_sweep
from toolkit.notebooks import figures_dir, find_sweeps, job_folders

SWEEPS = job_folders(find_sweeps("decide"))
decisions = []
for sweep in SWEEPS:
    try:
        decisions.append((sweep, from_sweep(sweep)))
    except ValueError as err:  # a sweep of another app among the directories given
        print(f"skipped: {err}")
print(f"{len(decisions)} decision sweep(s): {[str(s) for s, _ in decisions]}")

# %% [markdown]
# The decision, as `decide.py` printed it, and its figure: the nominal cost of each design (mean
# and 95 % t-interval over the days, the winner outlined), then the winner's margin over the next
# cheapest design in every draw against the three parameters that pull it most.

# %%
for sweep, decision in decisions[:1]:
    print("\n".join(format_decision(decision)))
    figures.show(figures.save(draw(decision), figures_dir() / f"decision_{sweep.name}"))

# %% [markdown]
# The tables behind it: nominal cost at the target per design (USD per correct receipt), and each
# parameter's pull on the winner's margin (Spearman's ρ, its p-value, the draws in the parameter's
# worst third and how many of them the winner lost).

# %%
for _, decision in decisions[:1]:
    nominal = decision.nominal.rename(columns={"mean": "USD per correct receipt", "half_width": "± 95 %"})
    print(nominal.round(3).to_string(), end="\n\n")
    print(pd.DataFrame(decision.drivers).round(3).to_string())
