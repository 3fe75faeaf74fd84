"""Forecast error of next-day demand from point-of-sale data alone versus with behavioural data.

python experiments/data_value.py
python experiments/data_value.py store.units_per_facing=3 shoppers.restock_hours=[]   # frequent stock-outs
python experiments/data_value.py value.dash_share=0.2 value.unbranded_share=0.3
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from toolkit.config import ConfigError
from toolkit.io import write_json_atomic
from toolkit.preflight import exit_on_bad_command_line
from toolkit.terminal import show_debug_log, take_verbose_flag
from toolkit.value import value_of_data


@hydra.main(version_base="1.3", config_path="../configs", config_name="data_value")
def main(cfg: DictConfig) -> None:
    if HydraConfig.get().verbose:  # Hydra's DEBUG lines to the terminal too
        show_debug_log()
    try:
        record = value_of_data(cfg.catalog, cfg.store, cfg.shoppers, cfg.value, int(cfg.seed))
    except (ConfigError, ValueError) as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)
    record["overrides"] = list(HydraConfig.get().overrides.task)
    path = Path(HydraConfig.get().runtime.output_dir) / "value.json"
    write_json_atomic(path, record)
    print(
        f"{record['days']} days, {record['stockout_share']:.1%} SKU-days short of demand, "
        f"{record['lost_sales_share']:.1%} of demand lost to stock-outs"
    )
    for source, error in record["wape"].items():
        print(f"  WAPE {source:<20} {error:.3f}")
    if record["shaping"]:
        shaping = record["shaping"]
        print(
            f"  demand shaping: private labels {shaping['private_label_share_before']:.1%} of demand before, "
            f"{shaping['private_label_share_after']:.1%} after; POS WAPE {shaping['wape_pos_before']:.3f} "
            f"before, {shaping['wape_pos_after']:.3f} after"
        )
    print(f"written to {path}")


if __name__ == "__main__":
    sys.argv = take_verbose_flag(sys.argv)
    exit_on_bad_command_line("data_value")
    main()
