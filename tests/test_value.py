"""The value of behavioural data, tested rather than assumed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compose_config

from toolkit.value import ValueParams, _trailing_mean, value_of_data

SMALL = [
    "catalog.n_skus=24",
    "store.n_shelves=4",
    "shoppers.visits_per_day=300",
    "shoppers.population_size=400",
]
VALUE = {
    "n_days": 12,
    "window_days": 4,
    "visits_log_sd": 0.1,
    "reach_seen": 0.9,
    "dash_share": 0.0,
    "unbranded_share": 0.0,
    "private_label_steer": 0.588,
    "shaping_start_day": 6,
}


def run(overrides=(), seed=0, **value):
    cfg = compose_config([*SMALL, *overrides])
    return value_of_data(cfg.catalog, cfg.store, cfg.shoppers, {**VALUE, **value}, seed)


def test_trailing_mean_forecasts_the_next_day_from_the_window():
    values = np.arange(6, dtype=float)[:, None]  # days 0..5
    assert _trailing_mean(values, 2)[:, 0].tolist() == [0.5, 1.5, 2.5, 3.5]


def test_behavioural_data_lowers_forecast_error_where_stock_outs_are_frequent():
    record = run(["store.units_per_facing=2", "shoppers.restock_hours=[]"])
    assert record["lost_sales_share"] > 0.3  # the premise: stock-outs are frequent
    assert record["wape"]["pos_behaviour"] < record["wape"]["pos"]


def test_without_stock_outs_there_is_nothing_for_reaches_to_add():
    record = run(["store.units_per_facing=1000"])
    assert record["lost_sales_share"] == pytest.approx(0.0, abs=1e-9)
    assert record["wape"]["pos_behaviour"] == pytest.approx(record["wape"]["pos"])


def test_a_consumption_signal_ahead_of_purchase_helps():
    record = run(["store.units_per_facing=1000"], dash_share=0.5)
    assert record["wape"]["pos_dash"] < record["wape"]["pos"]


def test_demand_shaping_moves_demand_to_private_labels():
    record = run(["catalog.lookalike_share=0.8"], unbranded_share=0.5)
    shaping = record["shaping"]
    assert shaping["private_label_share_after"] > shaping["private_label_share_before"]
    assert run(seed=3)["wape"] == run(seed=3)["wape"]


def test_window_must_leave_days_to_score():
    with pytest.raises(ValueError, match="window_days"):
        ValueParams.from_config({**VALUE, "window_days": 12})
