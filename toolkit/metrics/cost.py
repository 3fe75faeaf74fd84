"""Cost of ownership: capex and opex by line item, annualised, per visit and per correct receipt.

Each design's hardware follows from the physical sensors it needs and the store's size; its
variable costs from what the day's run measured (items sold, events reviewed, wrong receipts).
Annual cost is affine in visits per day (fixed + variable × visits), so two designs break even at
v* = (F_a − F_b) / (c_b − c_a) visits per day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.config import ConfigError, choice, number
from toolkit.sensors.base import Hardware, check_hardware

if TYPE_CHECKING:
    from toolkit.sensors.base import Sensor

BACKBONE_SENSORS = ("camera", "loadcell")
"""Priced here: the ceiling cameras with their compute, and the load-cell plates."""


@dataclass(frozen=True)
class PriceBook:
    days_per_year: float
    hours_per_day: float
    depreciation_years: float
    installation_share: float
    maintenance_share: float
    electricity_per_kwh: float
    camera_density_per_m2: float
    camera_price: float
    compute_per_camera: float
    camera_power_w: float
    plate_price: float
    plate_power_w: float
    pressure_mat_per_m: float
    tag_price: float
    on_metal_tag_price: float
    tagging_labour_per_item: float
    unsold_share: float
    reader_price: float
    antenna_price: float
    gate_antennas: int
    shelf_antennas_per_reader: int
    reader_power_w: float
    review_seconds: float
    review_wage_per_hour: float
    overcharge_handling: float
    door_lanes: int
    door_price_per_lane: float
    door_power_w: float

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> PriceBook:
        p = "costs"
        for section in ("camera", "loadcell", "pressure_mat", "rfid", "review", "receipt_errors", "door"):
            if section not in cfg:
                raise ConfigError(f"{p}.{section}: missing")
        cam, cell, rfid, review, door = (
            cfg["camera"],
            cfg["loadcell"],
            cfg["rfid"],
            cfg["review"],
            cfg["door"],
        )
        return cls(
            days_per_year=number(cfg, "operating_days_per_year", p, low=1.0, high=366.0),
            hours_per_day=number(cfg, "operating_hours_per_day", p, low=0.0, high=24.0),
            depreciation_years=number(cfg, "depreciation_years", p, low=0.0, low_open=True),
            installation_share=number(cfg, "installation_share", p, low=0.0),
            maintenance_share=number(cfg, "maintenance_share_per_year", p, low=0.0),
            electricity_per_kwh=number(cfg, "electricity_per_kwh", p, low=0.0),
            camera_density_per_m2=number(cam, "density_per_m2", f"{p}.camera", low=0.0),
            camera_price=number(cam, "unit_price", f"{p}.camera", low=0.0),
            compute_per_camera=number(cam, "compute_per_camera", f"{p}.camera", low=0.0),
            camera_power_w=number(cam, "power_w", f"{p}.camera", low=0.0),
            plate_price=number(cell, "plate_price", f"{p}.loadcell", low=0.0),
            plate_power_w=number(cell, "power_w", f"{p}.loadcell", low=0.0),
            pressure_mat_per_m=number(cfg["pressure_mat"], "price_per_shelf_m", f"{p}.pressure_mat", low=0.0),
            tag_price=number(rfid, "tag_price", f"{p}.rfid", low=0.0),
            on_metal_tag_price=number(rfid, "on_metal_tag_price", f"{p}.rfid", low=0.0),
            tagging_labour_per_item=_tagging_labour(rfid, f"{p}.rfid"),
            unsold_share=number(rfid, "unsold_share", f"{p}.rfid", low=0.0, high=0.9),
            reader_price=number(rfid, "reader_price", f"{p}.rfid", low=0.0),
            antenna_price=number(rfid, "antenna_price", f"{p}.rfid", low=0.0),
            gate_antennas=number(rfid, "gate_antennas", f"{p}.rfid", low=1, integer=True),
            shelf_antennas_per_reader=number(
                rfid, "shelf_antennas_per_reader", f"{p}.rfid", low=1, integer=True
            ),
            reader_power_w=number(rfid, "reader_power_w", f"{p}.rfid", low=0.0),
            review_seconds=number(review, "seconds_per_event", f"{p}.review", low=0.0),
            review_wage_per_hour=number(review, "wage_per_hour", f"{p}.review", low=0.0),
            overcharge_handling=number(
                cfg["receipt_errors"], "overcharge_handling_per_receipt", f"{p}.receipt_errors", low=0.0
            ),
            door_lanes=number(door, "lanes", f"{p}.door", low=1, integer=True),
            door_price_per_lane=number(door, "price_per_lane", f"{p}.door", low=0.0),
            door_power_w=number(door, "power_w_per_lane", f"{p}.door", low=0.0),
        )

    @property
    def review_cost_per_event(self) -> float:
        return self.review_seconds / 3600.0 * self.review_wage_per_hour


def _tagging_labour(cfg: Mapping[str, Any], path: str) -> float:
    """Labour per tagged item where it is tagged: at source (the supplier) or in the store."""
    where = choice(str(cfg.get("tagging_at", "")), ("source", "store"), f"{path}.tagging_at")
    return number(cfg, f"tagging_labour_{'at_source' if where == 'source' else 'in_store'}", path, low=0.0)


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
    lanes = float(prices.door_lanes)
    items: Hardware = {"doors": (lanes * prices.door_price_per_lane, lanes * prices.door_power_w)}
    if "camera" in sensors:
        n = float(np.ceil(prices.camera_density_per_m2 * store.floor_area_m2))
        items["cameras"] = (n * prices.camera_price, 0.0)
        items["camera_compute"] = (n * prices.compute_per_camera, n * prices.camera_power_w)
    if "loadcell" in sensors:
        items["load_cells"] = (store.n_plates * prices.plate_price, store.n_plates * prices.plate_power_w)
    for name, sensor in plugins.items():
        if name in sensors:
            own = sensor.hardware(store, prices)
            check_hardware(name, sensor, own, sensor.unit_cost(prices))
            items.update(own)
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
        "maintenance": capex * prices.maintenance_share,
        "power": watts / 1000.0 * prices.hours_per_day * days * prices.electricity_per_kwh,
    }
    # every unit stocked carries its tag: those sold, and those tagged but never sold (waste, shrink)
    per_unit = unit_cost(sensors, prices, plugins)
    variable = {
        "tags": float(store.sold_by_material_per_day @ per_unit) / (1.0 - prices.unsold_share) * days
        if per_unit is not None
        else 0.0,
        "review": store.reviewed_events_per_day * prices.review_cost_per_event * days,
        "undercharge": store.undercharged_revenue_per_day * days,
        "overcharge": store.overcharged_receipts_per_day * prices.overcharge_handling * days,
    }
    total = sum(fixed.values()) + sum(variable.values())
    visits = store.visits_per_day * days
    correct = store.correct_receipts_per_day * days
    # what the design costs to run, and what its mistakes cost: which part drives a verdict
    errors = variable["undercharge"] + variable["overcharge"] + variable["review"]
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
