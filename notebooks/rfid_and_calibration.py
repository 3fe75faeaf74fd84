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
# # RFID read rates by material, and calibration of the fusion systems
#
# From the sweeps of the `rfid_materials` and `reliability` presets under the repository's
# `multirun/` (without them it prints the commands that make them), or those in
# `CHECKOUT_LAB_SWEEPS`.

# %%
from toolkit import figures
from toolkit.notebooks import figures_dir, find_sweeps
from toolkit.report import collect
from toolkit.world import MATERIALS

OUT = figures_dir()
rows, _ = collect(find_sweeps("rfid_materials", "reliability"))

# %%
if any(r.get("rfid_unit_read_rate") is not None for r in rows):
    figures.show(figures.rfid_material_figure(rows, OUT / "rfid_read_rate_by_material", MATERIALS))

# %%
if any(isinstance(r.get("reliability_count"), list) for r in rows):
    figures.show(figures.reliability_figure(rows, OUT / "reliability"))
