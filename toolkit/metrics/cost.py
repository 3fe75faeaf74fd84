"""Cost of ownership: capex and opex by line item, annualised, per visit and per correct receipt.

Each design's hardware follows from the physical sensors it needs and the store's size; its
variable costs from what the day's run measured (items sold, events reviewed, wrong receipts).
Annual cost is affine in visits per day (fixed + variable × visits), so two designs break even at
v* = (F_a − F_b) / (c_b − c_a) visits per day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from toolkit.config import AtLeastOne, NonNegative, Positive, Real, Settings
from toolkit.sensors.base import Hardware, add_own, check_hardware

if TYPE_CHECKING:
    from toolkit.sensors.base import Sensor

BACKBONE_SENSORS = ("camera", "loadcell")
"""Priced here: the ceiling cameras with their compute, and the load-cell plates."""


class CameraPrices(Settings):
    density_per_m2: NonNegative
    unit_price: NonNegative
    compute_per_camera: NonNegative
    power_w: NonNegative


class LoadcellPrices(Settings):
    plate_price: NonNegative
    power_w: NonNegative


class PressureMatPrices(Settings):
    price_per_shelf_m: NonNegative


class RfidPrices(Settings):
    tag_price: NonNegative
    on_metal_tag_price: NonNegative
    tagging_at: Literal["source", "store"]  # who puts the tags on: the supplier, or the store
    tagging_labour_at_source: NonNegative
    tagging_labour_in_store: NonNegative
    unsold_share: Annotated[Real, Field(ge=0.0, le=0.9)]
    reader_price: NonNegative
    antenna_price: NonNegative
    gate_antennas: AtLeastOne
    shelf_antennas_per_reader: AtLeastOne
    reader_power_w: NonNegative

    @property
    def tagging_labour_per_item(self) -> float:
        """Labour per tagged item where it is tagged: at source (the supplier) or in the store."""
        return self.tagging_labour_at_source if self.tagging_at == "source" else self.tagging_labour_in_store


class ReviewPrices(Settings):
    seconds_per_event: NonNegative
    wage_per_hour: NonNegative


class ExitCheckPrices(Settings):
    seconds_per_check: NonNegative
    wage_per_hour: NonNegative


class ReceiptErrorPrices(Settings):
    overcharge_handling_per_receipt: NonNegative


class DoorPrices(Settings):
    lanes: AtLeastOne
    price_per_lane: NonNegative
    power_w_per_lane: NonNegative


class PriceBook(Settings):
    """The `costs` section: what hardware, tags, power, review and mistakes cost."""

    config_path: ClassVar[str] = "costs"

    operating_days_per_year: Annotated[Real, Field(ge=1.0, le=366.0)]
    operating_hours_per_day: Annotated[Real, Field(ge=0.0, le=24.0)]
    depreciation_years: Positive
    installation_share: NonNegative
    maintenance_share_per_year: NonNegative
    electricity_per_kwh: NonNegative
    camera: CameraPrices
    loadcell: LoadcellPrices
    pressure_mat: PressureMatPrices
    rfid: RfidPrices
    review: ReviewPrices
    exit_check: ExitCheckPrices
    receipt_errors: ReceiptErrorPrices
    door: DoorPrices

    @property
    def days_per_year(self) -> float:
        return self.operating_days_per_year

    @property
    def review_cost_per_event(self) -> float:
        return self.review.seconds_per_event / 3600.0 * self.review.wage_per_hour

    @property
    def exit_check_cost(self) -> float:
        """Staff time to check one shopper's basket against their receipt at the exit."""
        return self.exit_check.seconds_per_check / 3600.0 * self.exit_check.wage_per_hour


@dataclass(frozen=True)
class StoreFacts:
    """What the cost depends on: the store's size and one day's measured activity under a design."""

    floor_area_m2: float
    n_plates: int
    shelf_metres: float
    visits_per_day: float
    items_sold_per_day: float
    sold_by_material_per_day: np.ndarray  # (len(MATERIALS),) units
    stocked_by_material: np.ndarray  # (len(MATERIALS),) units on the shelves at opening
    reviewed_events_per_day: float
    undercharged_revenue_per_day: float
    overcharged_receipts_per_day: float
    correct_receipts_per_day: float
    exit_checks_per_day: float = 0.0  # baskets staff check at the exit (a means to a target accuracy)


def hardware(
    sensors: frozenset[str], store: StoreFacts, prices: PriceBook, plugins: Mapping[str, Sensor] | None = None
) -> Hardware:
    """Capex (USD) and electrical power (W) per hardware line item of a design. Every design
    opens a visit at an entry scan and closes it at the exit gate: the doors are on every bill.
    The backbone (ceiling cameras, load-cell plates) is priced here; every other sensor prices
    itself, and the stock on the shelves on the first day gets what its units must carry."""
    plugins = plugins or {}
    unknown = sensors - set(BACKBONE_SENSORS) - set(plugins)
    if unknown:
        priced = sorted({*BACKBONE_SENSORS, *plugins})
        raise ValueError(f"no price for sensors {sorted(unknown)}; priced: {priced}")
    lanes = float(prices.door.lanes)
    items: Hardware = {"doors": (lanes * prices.door.price_per_lane, lanes * prices.door.power_w_per_lane)}
    if "camera" in sensors:
        n = float(np.ceil(prices.camera.density_per_m2 * store.floor_area_m2))
        items["cameras"] = (n * prices.camera.unit_price, 0.0)
        items["camera_compute"] = (n * prices.camera.compute_per_camera, n * prices.camera.power_w)
    if "loadcell" in sensors:
        items["load_cells"] = (
            store.n_plates * prices.loadcell.plate_price,
            store.n_plates * prices.loadcell.power_w,
        )
    for name, sensor in plugins.items():
        if name in sensors:
            own = sensor.hardware(store, prices)
            check_hardware(name, sensor, own, sensor.unit_cost(prices))
            add_own(items, own, f"sensor.{name}")
    per_unit = unit_cost(sensors, prices, plugins)
    if per_unit is not None:
        items["initial_stock_tags"] = (float(store.stocked_by_material @ per_unit), 0.0)
    return items


def unit_cost(sensors: frozenset[str], prices: PriceBook, plugins: Mapping[str, Sensor]) -> np.ndarray | None:
    """Per material, what each stocked unit carries for these sensors (None: nothing): the
    dearest of their needs, as one tag serves a gate and smart shelves alike."""
    costs = [c for n, s in plugins.items() if n in sensors and (c := s.unit_cost(prices)) is not None]
    return np.maximum.reduce(costs) if costs else None


def annual_cost(
    sensors: frozenset[str], store: StoreFacts, prices: PriceBook, plugins: Mapping[str, Sensor] | None = None
) -> dict[str, float]:
    """Every cost figure of a design for one year, flat keys for metrics.json. `plugins` are the
    configured sensors beyond the backbone, which price themselves."""
    plugins = plugins or {}
    items = hardware(sensors, store, prices, plugins)
    capex = sum(c for c, _ in items.values())
    installed = capex * (1.0 + prices.installation_share)
    watts = sum(w for _, w in items.values())
    days = prices.days_per_year
    fixed = {
        "depreciation": installed / prices.depreciation_years,
        "maintenance": capex * prices.maintenance_share_per_year,
        "power": watts / 1000.0 * prices.operating_hours_per_day * days * prices.electricity_per_kwh,
    }
    # every unit stocked carries its tag: those sold, and those tagged but never sold (waste, shrink)
    per_unit = unit_cost(sensors, prices, plugins)
    variable = {
        "tags": float(store.sold_by_material_per_day @ per_unit) / (1.0 - prices.rfid.unsold_share) * days
        if per_unit is not None
        else 0.0,
        "review": store.reviewed_events_per_day * prices.review_cost_per_event * days,
        "exit_check": store.exit_checks_per_day * prices.exit_check_cost * days,
        "undercharge": store.undercharged_revenue_per_day * days,
        "overcharge": store.overcharged_receipts_per_day
        * prices.receipt_errors.overcharge_handling_per_receipt
        * days,
    }
    total = sum(fixed.values()) + sum(variable.values())
    visits = store.visits_per_day * days
    correct = store.correct_receipts_per_day * days
    # what the design costs to run, and what its mistakes cost: which part drives a verdict
    errors = variable["undercharge"] + variable["overcharge"] + variable["review"] + variable["exit_check"]
    out = {f"capex_{name}": cost for name, (cost, _) in items.items()}
    out.update({f"cost_{name}": value for name, value in {**fixed, **variable}.items()})
    out.update(
        {
            "capex": capex,
            "cost_annual": total,
            "cost_operations_annual": total - errors,
            "cost_errors_annual": errors,
            "cost_operations_per_visit": (total - errors) / visits if visits else None,
            "cost_errors_per_visit": errors / visits if visits else None,
            "cost_fixed_annual": sum(fixed.values()),
            "cost_variable_per_visit": sum(variable.values()) / visits if visits else 0.0,
            "cost_per_visit": total / visits if visits else float("inf"),
            "cost_per_correct_receipt": total / correct if correct else float("inf"),
        }
    )
    return out


def break_even_visits(a: Mapping[str, float], b: Mapping[str, float], days_per_year: float) -> float | None:
    """Visits per day at which designs a and b cost the same per year (None if they never do).

    annual = fixed + variable_per_visit × visits × days, so
    v* = (F_a − F_b) / ((c_b − c_a) × days).
    """
    slope = (b["cost_variable_per_visit"] - a["cost_variable_per_visit"]) * days_per_year
    if slope == 0:
        return None
    visits = (a["cost_fixed_annual"] - b["cost_fixed_annual"]) / slope
    return float(visits) if visits > 0 else None
