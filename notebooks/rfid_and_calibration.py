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
# From the `rfid_materials` and `reliability` presets (or `CHECKOUT_LAB_SWEEPS`).

# %%
import os
from pathlib import Path

from toolkit import figures
from toolkit.report import collect
from toolkit.world import MATERIALS

SWEEPS = os.environ.get("CHECKOUT_LAB_SWEEPS", "multirun/rfid_materials:multirun/reliability")
OUT = Path(os.environ.get("CHECKOUT_LAB_FIGURES", "notebooks/figures"))
rows, _ = collect([Path(s) for s in SWEEPS.split(os.pathsep) if Path(s).is_dir()])

# %%
if any(r.get("rfid_unit_read_rate") is not None for r in rows):
    figures.show(figures.rfid_material_figure(rows, OUT / "rfid_read_rate_by_material", MATERIALS))

# %%
if any(isinstance(r.get("reliability_count"), list) for r in rows):
    figures.show(figures.reliability_figure(rows, OUT / "reliability"))
