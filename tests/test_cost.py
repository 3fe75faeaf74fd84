"""The cost model on a hand-priced two-item store."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compose_config
from omegaconf import OmegaConf

from toolkit.config import ConfigError, build_from_config
from toolkit.metrics.cost import PriceBook, StoreFacts, annual_cost, break_even_visits
from toolkit.systems import build_systems

PRICES = {
    "operating_days_per_year": 100,
    "operating_hours_per_day": 10,
    "depreciation_years": 2,
    "installation_share": 0.5,
    "maintenance_share_per_year": 0.1,
    "electricity_per_kwh": 0.2,
    "camera": {"density_per_m2": 0.5, "unit_price": 100.0, "compute_per_camera": 300.0, "power_w": 50.0},
    "loadcell": {"plate_price": 20.0, "power_w": 1.0},
    "pressure_mat": {"price_per_shelf_m": 10.0},
    "rfid": {
        "tag_price": 0.05,
        "on_metal_tag_price": 0.40,
        "tagging_at": "source",
        "tagging_labour_at_source": 0.05,
        "tagging_labour_in_store": 0.20,
        "unsold_share": 0.2,
        "reader_price": 1000.0,
        "antenna_price": 100.0,
        "gate_antennas": 2,
        "shelf_antennas_per_reader": 4,
        "reader_power_w": 10.0,
    },
    "review": {"seconds_per_event": 36.0, "wage_per_hour": 10.0},
    "exit_check": {"seconds_per_check": 72.0, "wage_per_hour": 15.0},
    "receipt_errors": {"overcharge_handling_per_receipt": 2.0},
    "door": {"lanes": 1, "price_per_lane": 500.0, "power_w_per_lane": 5.0},
}

# two items on two plates in a 20 m² store
STORE = StoreFacts(
    floor_area_m2=20.0,
    n_plates=2,
    shelf_metres=1.0,
    visits_per_day=50.0,
    items_sold_per_day=80.0,
    sold_by_material_per_day=np.array([60.0, 0.0, 20.0, 0.0]),  # plain, liquid, metal, foil
    stocked_by_material=np.array([100.0, 0.0, 50.0, 0.0]),
    reviewed_events_per_day=10.0,
    undercharged_revenue_per_day=4.0,
    overcharged_receipts_per_day=1.0,
    correct_receipts_per_day=45.0,
)


@pytest.fixture
def prices():
    return PriceBook.from_config(PRICES)


def tagged(on_metal: tuple[str, ...] = ()) -> dict:
    """The configured RFID sensors, tagging `on_metal` materials with on-metal tags."""
    sensor = compose_config().sensor
    built = {}
    for name in ("rfid_gate", "rfid_shelf"):
        node = {**sensor[name], "tagging": {**sensor[name].tagging, "on_metal": list(on_metal)}}
        built[name] = build_from_config(node, f"sensor.{name}")
    return built


def test_camera_and_weight_design_by_hand(prices):
    cost = annual_cost(frozenset({"camera", "loadcell"}), STORE, prices)
    # 10 cameras × (100 + 300) + 2 plates × 20 + 1 door lane × 500 = 4540 capex; installed × 1.5
    # = 6810 over 2 years
    assert cost["capex"] == pytest.approx(4540.0)
    assert cost["cost_depreciation"] == pytest.approx(3405.0)
    assert cost["cost_maintenance"] == pytest.approx(454.0)
    # (10 × 50 W + 2 × 1 W + 5 W) × 10 h × 100 d = 507 kWh at 0.2
    assert cost["cost_power"] == pytest.approx(101.4)
    # 10 events × 36 s × 10 $/h = 1 $ a day; 4 $ under-charged a day; 1 over-charged receipt × 2 $
    assert cost["cost_review"] == pytest.approx(100.0)
    assert cost["cost_undercharge"] == pytest.approx(400.0)
    assert cost["cost_overcharge"] == pytest.approx(200.0)
    assert cost["cost_tags"] == 0.0
    total = 3405 + 454 + 101.4 + 100 + 400 + 200
    assert cost["cost_annual"] == pytest.approx(total)
    # what it costs to run, and what its errors cost (review, under- and over-charge)
    assert cost["cost_errors_annual"] == pytest.approx(700.0)
    assert cost["cost_operations_annual"] == pytest.approx(total - 700.0)
    assert cost["cost_errors_per_visit"] == pytest.approx(700.0 / 5000)
    assert cost["cost_per_visit"] == pytest.approx(total / 5000)
    assert cost["cost_per_correct_receipt"] == pytest.approx(total / 4500)


def test_exit_checks_cost_staff_time_and_count_with_the_errors(prices):
    checked = StoreFacts(**{**STORE.__dict__, "exit_checks_per_day": 20.0})
    base, cost = (annual_cost(frozenset({"rfid_gate"}), f, prices, tagged()) for f in (STORE, checked))
    # 20 baskets × 72 s × 15 $/h = 6 $ a day, 100 days
    assert base["cost_exit_check"] == 0.0 and cost["cost_exit_check"] == pytest.approx(600.0)
    assert cost["cost_annual"] - base["cost_annual"] == pytest.approx(600.0)
    assert cost["cost_errors_annual"] - base["cost_errors_annual"] == pytest.approx(600.0)


def test_rfid_gate_design_by_hand(prices):
    cost = annual_cost(frozenset({"rfid_gate"}), STORE, prices, tagged())
    # reader + 2 antennas + the door; the 150 units on the shelves tagged before opening at 0.10
    assert cost["capex_initial_stock_tags"] == pytest.approx(15.0)
    assert cost["capex"] == pytest.approx(1200.0 + 500.0 + 15.0)
    # every unit stocked carries a tag: 80 sold a day are 80 / (1 − 0.2) tagged
    assert cost["cost_tags"] == pytest.approx(80 * 0.10 / 0.8 * 100)
    capex = 1715.0
    assert cost["cost_fixed_annual"] == pytest.approx(
        capex * 1.5 / 2 + capex * 0.1 + 15 / 1000 * 10 * 100 * 0.2
    )


def test_on_metal_tags_and_tagging_in_store_cost_what_the_price_book_says(prices):
    cost = annual_cost(frozenset({"rfid_gate"}), STORE, prices, tagged(("metal",)))
    # plain units at 0.05 + 0.05, metal ones at 0.40 + 0.05
    assert cost["cost_tags"] == pytest.approx((60 * 0.10 + 20 * 0.45) / 0.8 * 100)
    assert cost["capex_initial_stock_tags"] == pytest.approx(100 * 0.10 + 50 * 0.45)
    in_store = PriceBook.from_config({**PRICES, "rfid": {**PRICES["rfid"], "tagging_at": "store"}})
    retro = annual_cost(frozenset({"rfid_gate"}), STORE, in_store, tagged())
    assert retro["cost_tags"] == pytest.approx(80 * 0.25 / 0.8 * 100)
    with pytest.raises(ConfigError, match=r"costs\.rfid\.tagging_at"):
        PriceBook.from_config({**PRICES, "rfid": {**PRICES["rfid"], "tagging_at": "factory"}})


def test_rfid_shelf_needs_one_reader_per_four_antennas(prices):
    store = StoreFacts(**{**STORE.__dict__, "n_plates": 9})
    cost = annual_cost(frozenset({"rfid_shelf", "camera"}), store, prices, tagged())
    assert cost["capex_rfid_shelf_antennas"] == pytest.approx(900.0)
    assert cost["capex_rfid_shelf_readers"] == pytest.approx(3000.0)


def test_break_even_moves_the_way_the_inputs_say(prices):
    cameras = annual_cost(frozenset({"camera", "loadcell"}), STORE, prices)
    gate = annual_cost(frozenset({"rfid_gate"}), STORE, prices, tagged())
    # by hand: fixed F and variable c per visit; cameras cost more to install, tags more per visit
    v_star = break_even_visits(cameras, gate, prices.days_per_year)
    slope = (gate["cost_variable_per_visit"] - cameras["cost_variable_per_visit"]) * 100
    assert v_star == pytest.approx((cameras["cost_fixed_annual"] - gate["cost_fixed_annual"]) / slope)

    # beyond v* the mostly fixed-cost design is cheaper
    def at(cost, visits):
        return cost["cost_fixed_annual"] + cost["cost_variable_per_visit"] * visits * 100

    assert at(cameras, 2 * v_star) < at(gate, 2 * v_star) and at(cameras, v_star / 2) > at(gate, v_star / 2)
    # dearer tags: cameras win from fewer visits on
    dear = PriceBook.from_config({**PRICES, "rfid": {**PRICES["rfid"], "tag_price": 0.50}})
    dear_gate = annual_cost(frozenset({"rfid_gate"}), STORE, dear, tagged())
    assert break_even_visits(cameras, dear_gate, 100) < v_star
    # a design that is dearer both ways never breaks even
    assert break_even_visits({**cameras, "cost_variable_per_visit": 99.0}, gate, 100) is None


def test_the_default_price_book_loads_and_bad_prices_name_the_key():
    cfg = compose_config()
    PriceBook.from_config(cfg.costs)
    with pytest.raises(ConfigError, match=r"costs\.rfid\.tag_price"):
        PriceBook.from_config({**cfg.costs, "rfid": {**cfg.costs.rfid, "tag_price": -0.01}})


def test_a_design_that_decides_shelf_events_pays_for_the_load_cells_that_raise_them():
    cfg = compose_config()
    fusion = OmegaConf.to_container(cfg.system.vision_fusion, resolve=True)
    camera_only = {**fusion, "recognizers": ["vision"]}
    (system,) = build_systems({"camera_only": camera_only}, cfg.recognizer)
    assert system.signals == frozenset({"camera"})
    assert {"loadcell", "camera"} <= system.sensors
