"""The value of behavioural data: does it make next-day demand forecasts better?

A run of store-days with a latent demand per SKU (what shoppers meant to buy), limited shelf stock
and stock-outs. The same forecaster (a trailing mean over a window of days) is fed different data:

* ``pos``: point-of-sale counts alone (what an RFID gate yields). Stock-outs censor them: a SKU
  that ran out sold less than it was wanted.
* ``pos_behaviour``: sales plus lost sales estimated from what cameras see: reaches into empty
  slots (each seen with probability ``reach_seen``), converted into units with the buy rate and
  units per take measured from the takes and put-backs the cameras saw.
* ``*_dash``: either source plus a consumption signal in the spirit of the Dash button: a share of
  households report running out the day before they buy; the forecast blends
  (1 − s) · forecast + presses, since presses ≈ s · tomorrow's demand.

Demand shaping in the spirit of the Echo: from ``shaping_start_day`` on, a share of requests name
no brand and a recommender steers a share of those (58.8 % in the seed article) to the private
label of their look-alike group. Its effect on each SKU's share of demand and on forecast error is
reported.

Forecast error is WAPE = Σ |forecast − latent demand| / Σ latent demand over SKUs and scored days.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self

import numpy as np
from pydantic import Field, model_validator

from toolkit.config import (
    AtLeastOne,
    Count,
    NonNegative,
    Probability,
    Settings,
    Whole,
)
from toolkit.seeding import component_rng
from toolkit.shoppers import (
    EMPTY_REACH,
    PUTBACK,
    TAKE,
    Population,
    ShopperParams,
    make_population,
    simulate_day,
)
from toolkit.world import World, make_world

SOURCES = ("pos", "pos_behaviour", "pos_dash", "pos_behaviour_dash")


class ValueParams(Settings):
    config_path: ClassVar[str] = "value"

    n_days: Annotated[Whole, Field(ge=2)]
    window_days: AtLeastOne
    visits_log_sd: NonNegative
    reach_seen: Probability
    dash_share: Probability
    unbranded_share: Probability
    private_label_steer: Probability
    shaping_start_day: Count

    @model_validator(mode="after")
    def _window_inside_the_days(self) -> Self:
        if self.window_days >= self.n_days:
            raise ValueError(f"window_days: must be below n_days ({self.n_days}), got {self.window_days}")
        return self


@dataclass(frozen=True)
class DailyData:
    """(days, n_skus) arrays: latent demand, units sold, and what the cameras saw."""

    demand: np.ndarray
    sales: np.ndarray
    reaches_seen: np.ndarray
    takes: np.ndarray
    putbacks: np.ndarray
    units_taken: np.ndarray
    dash_presses: np.ndarray


def private_labels(world: World) -> np.ndarray:
    """The private label of each SKU's look-alike group (its first member), or -1 for singletons."""
    group = world.catalog.lookalike_group
    first = np.searchsorted(group, group)
    size = np.bincount(group)[group]
    return np.where(size >= 2, first, -1)


def shaped_population(population: Population, world: World, unbranded: float, steer: float) -> Population:
    """Move the steered share of each branded variant's preference to its group's private label."""
    label = private_labels(world)
    n = label.size
    moves = (label >= 0) & (label != np.arange(n))
    share = unbranded * steer
    preference = population.preference.copy()
    moved = preference[:, moves] * share
    preference[:, moves] -= moved
    np.add.at(preference, (slice(None), label[moves]), moved)
    return dataclasses.replace(population, preference=preference)


def simulate_days(
    world: World, shoppers: ShopperParams, params: ValueParams, seed: int
) -> tuple[DailyData, np.ndarray]:
    """Run the store-days; also return which SKUs are private labels (for the shaping report)."""
    n_skus = world.catalog.n_skus
    base = make_population(shoppers, n_skus, component_rng(seed, "shoppers", "population"))
    shaped = shaped_population(base, world, params.unbranded_share, params.private_label_steer)
    rng = component_rng(seed, "value", "days")
    days = params.n_days + 1  # one more day, for the last dash presses
    arrays = {f.name: np.zeros((days, n_skus)) for f in dataclasses.fields(DailyData)}
    for day in range(days):
        visits = max(1, round(shoppers.visits_per_day * np.exp(params.visits_log_sd * rng.standard_normal())))
        population = shaped if day >= params.shaping_start_day else base
        truth = simulate_day(
            world, shoppers.model_copy(update={"visits_per_day": visits}), population, seed * 1000 + day
        )
        lines = truth.inter_sku >= 0
        first = truth.inter_sku[:, 0]
        arrays["demand"][day] = truth.latent_demand
        arrays["sales"][day] = truth.basket.sum(axis=0)
        reach = truth.inter_kind == EMPTY_REACH
        seen = reach & (rng.random(reach.size) < params.reach_seen)
        arrays["reaches_seen"][day] = np.bincount(first[seen], minlength=n_skus)
        for key, kind in (("takes", TAKE), ("putbacks", PUTBACK)):
            rows = truth.inter_kind == kind
            arrays[key][day] = np.bincount(truth.inter_sku[rows][lines[rows]], minlength=n_skus)
        takes = truth.inter_kind == TAKE
        arrays["units_taken"][day] = np.bincount(
            truth.inter_sku[takes][lines[takes]],
            weights=truth.inter_count[takes][lines[takes]],
            minlength=n_skus,
        )
    arrays["dash_presses"][:-1] = rng.binomial(arrays["demand"][1:].astype(np.int64), params.dash_share)
    data = DailyData(**{k: v[: params.n_days] for k, v in arrays.items()})
    return data, private_labels(world) == np.arange(n_skus)


def _trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Forecast for day d+1 from days d−window+1..d, for d = window−1 .. days−2: (days−window, n_skus)."""
    cumulative = np.cumsum(np.vstack([np.zeros((1, values.shape[1])), values]), axis=0)
    sums = cumulative[window:-1] - cumulative[: -window - 1]
    return sums / window


def forecasts(data: DailyData, params: ValueParams) -> dict[str, np.ndarray]:
    """Next-day forecasts (scored days, n_skus) of each data source."""
    w = params.window_days
    # lost sales from empty reaches: buy rate and units per take measured from what the cameras saw
    takes, putbacks = _trailing_mean(data.takes, w), _trailing_mean(data.putbacks, w)
    buy_rate = np.clip(1.0 - putbacks / np.maximum(takes, 1e-9), 0.0, 1.0)
    store_rate = np.clip(1.0 - data.putbacks.sum() / max(data.takes.sum(), 1.0), 0.0, 1.0)
    buy_rate = np.where(takes > 0, buy_rate, store_rate)
    units = _trailing_mean(data.units_taken, w) / np.maximum(takes, 1e-9)
    store_units = data.units_taken.sum() / max(data.takes.sum(), 1.0)
    units = np.where(takes > 0, units, store_units)
    reaches = _trailing_mean(data.reaches_seen, w) / max(params.reach_seen, 1e-9)
    pos = _trailing_mean(data.sales, w)
    behaviour = pos + reaches * buy_rate * units
    presses = data.dash_presses[w - 1 : -1]
    s = params.dash_share
    return {
        "pos": pos,
        "pos_behaviour": behaviour,
        "pos_dash": (1.0 - s) * pos + presses,
        "pos_behaviour_dash": (1.0 - s) * behaviour + presses,
    }


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    total = float(actual.sum())
    return float(np.abs(forecast - actual).sum() / total) if total > 0 else float("nan")


def value_of_data(
    catalog_cfg: Mapping[str, Any],
    store_cfg: Mapping[str, Any],
    shopper_cfg: Mapping[str, Any],
    value_cfg: Mapping[str, Any],
    seed: int,
) -> dict[str, Any]:
    """WAPE of every data source on the same simulated days, and the demand-shaping report."""
    params = ValueParams.from_config(value_cfg)
    shoppers = ShopperParams.from_config(shopper_cfg)
    world = make_world(catalog_cfg, store_cfg, seed)
    data, is_label = simulate_days(world, shoppers, params, seed)
    actual = data.demand[params.window_days :]
    predicted = forecasts(data, params)
    scored_day = np.arange(params.window_days, params.n_days)
    after = scored_day >= params.shaping_start_day
    before_days = data.demand[: params.shaping_start_day]
    after_days = data.demand[params.shaping_start_day :]
    shaping = None
    if params.unbranded_share > 0 and before_days.size and after_days.size:
        # demand shares, so that day-to-day footfall does not pass for a shift between SKUs
        share_before = before_days.sum(axis=0) / max(before_days.sum(), 1.0)
        share_after = after_days.sum(axis=0) / max(after_days.sum(), 1.0)
        change = share_after - share_before
        shaping = {
            "private_label_share_before": float(share_before[is_label].sum()),
            "private_label_share_after": float(share_after[is_label].sum()),
            "per_sku_share_change": change.round(5).tolist(),
            "wape_pos_before": wape(predicted["pos"][~after], actual[~after]) if (~after).any() else None,
            "wape_pos_after": wape(predicted["pos"][after], actual[after]) if after.any() else None,
        }
    return {
        "seed": seed,
        "days": params.n_days,
        "stockout_share": float((data.sales < data.demand).mean()),
        "lost_sales_share": float(1.0 - data.sales.sum() / max(data.demand.sum(), 1.0)),
        "wape": {name: wape(values, actual) for name, values in predicted.items()},
        "shaping": shaping,
    }
