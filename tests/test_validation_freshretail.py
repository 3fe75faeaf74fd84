"""The FreshRetailNet value-of-data check (toolkit/validation/freshretail.py): on a synthetic store
whose demand is hidden by stock-outs the stocked-out hours must remove the underestimation; on a
slice of the real data the rows are finite and the figure is written; bad settings are one line."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, real_data
from hydra import compose, initialize_config_dir

from toolkit.config import ConfigError, build_from_config
from toolkit.validation.freshretail import FreshRetailCheck, load_days

KEY = "validation.freshretail"


def check_from_config(*overrides: str) -> FreshRetailCheck:
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose(config_name="validate", overrides=["validation=[freshretail]", *overrides])
    return build_from_config(cfg.validation.freshretail, KEY)


def write_censored_store(folder: Path, series: int = 80, days: int = 56, seed: int = 0) -> None:
    """Hourly Poisson demand around each series' level; each morning the shelf gets 45-125 % of
    a day's mean demand and sells out when it is gone: the remaining hours are flagged stocked out
    and sell nothing. Written as two chunks in FreshRetailNet's layout, one series cut across them."""
    rng = np.random.default_rng(seed)
    profile = np.exp(-0.5 * ((np.arange(24) - 14.0) / 4.0) ** 2) + 0.05  # busy afternoons
    profile /= profile.sum()
    level = rng.uniform(3.0, 12.0, series)  # mean daily demand
    demand = rng.poisson(level[:, None, None] * profile, size=(series, days, 24)).astype(float)
    stock = np.round(level[:, None] * rng.uniform(0.45, 1.25, (series, days)))
    before = np.cumsum(demand, axis=2) - demand  # demanded before the hour
    left = np.maximum(stock[:, :, None] - before, 0.0)  # on the shelf as the hour starts
    sales = np.minimum(demand, left)
    out = left <= 0
    n = series * days * 24
    s, d, h = np.unravel_index(np.arange(n), (series, days, 24))
    frame = pd.DataFrame(
        {
            "city_id": 0,
            "store_id": s // 10,
            "management_group_id": 0,
            "first_category_id": 1,
            "second_category_id": 2,
            "third_category_id": 3,
            "product_id": s,
            "dt": (pd.Timestamp("2024-03-28") + pd.to_timedelta(d, unit="D")).strftime("%Y-%m-%d"),
            "hour": h,
            "hourly_sale": sales.reshape(-1),
            "hourly_stockout": out.reshape(-1).astype(np.int64),
            "discount": 1.0,
            "holiday_flag": (d % 7 >= 5).astype(np.int32),
            "activity_flag": np.int32(0),
            "precpt": 0.0,
            "avg_temperature": 20.0,
            "avg_humidity": 60.0,
            "avg_wind_level": 2.0,
        }
    )
    cut = (series // 2 * days + days // 2) * 24  # mid-series, on a day boundary
    folder.mkdir(parents=True)
    frame.iloc[:cut].to_parquet(folder / "flattened_chunk_0000.parquet", index=False)
    frame.iloc[cut:].to_parquet(folder / "flattened_chunk_0001.parquet", index=False)


SYNTHETIC = (
    f"{KEY}.chunks=2",
    f"{KEY}.holdout_days=7",
    f"{KEY}.simulator=null",
    f"{KEY}.forecaster.max_iter=60",
    f"{KEY}.forecaster.min_samples_leaf=20",
)


def by_statistic(rows) -> dict[str, float]:
    return {row.statistic: row.simulated for row in rows}


def test_the_stocked_out_hours_remove_the_underestimation_that_censoring_causes(tmp_path):
    data = tmp_path / "freshretailnet"
    write_censored_store(data)
    days = load_days(data, 2, None, 0)
    assert days.shape == (80, 56) and days.out.mean() > 0.15  # the series cut by the chunks is whole again
    check = check_from_config(*SYNTHETIC)
    rows = by_statistic(check.run(data, tmp_path / "figures"))
    sales, with_stockouts = rows["bias, sales alone (RFID gate)"], rows["bias, sales + stocked-out hours"]
    assert sales < -10.0  # sales alone learn the censored level
    assert abs(with_stockouts) < 5.0 and with_stockouts - sales > 10.0
    assert rows["gain in 1 − WAPE from stocked-out hours"] > 2.0
    assert (tmp_path / "figures" / "freshretail_value_of_data.png").is_file()
    # deterministic: the same rows, bit for bit
    assert by_statistic(check.run(data, tmp_path / "again")) == rows


def test_the_check_runs_on_a_slice_of_the_real_data(tmp_path):
    folder = real_data("freshretailnet")
    check = check_from_config(f"{KEY}.chunks=4", f"{KEY}.forecaster.max_iter=50")
    rows = check.run(folder, tmp_path)
    assert len(rows) == 6
    assert all(math.isfinite(v) for r in rows for v in (r.real, r.simulated, r.tolerance))
    for suffix in (".png", ".pdf", ".json"):
        assert (tmp_path / f"freshretail_value_of_data{suffix}").is_file()


@pytest.mark.parametrize(
    ("override", "named"),
    [
        (f"{KEY}.holdout_days=0", f"{KEY}.holdout_days: must be >= 1"),
        (f"{KEY}.forecaster.loss=gamma", f"{KEY}.forecaster.loss: unknown value 'gamma'"),
        (f"{KEY}.min_in_stock_share=1.5", f"{KEY}.min_in_stock_share: must be <= 1"),
        (f"+{KEY}.holdout_dayz=3", f"{KEY}.holdout_dayz: unknown key (did you mean 'holdout_days'?)"),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_key(override, named):
    with pytest.raises(ConfigError) as err:
        check_from_config(override)
    assert str(err.value).startswith(named) and "\n" not in str(err.value)
