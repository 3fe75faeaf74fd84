"""RFID physics and protocol: link budget, Gen2 slotted ALOHA, the gate, and its decoder."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY, compose_config

from toolkit.config import ConfigError
from toolkit.experiment import run_comparison
from toolkit.recognizers.rfid import RfidGateDecoder
from toolkit.sensors.observations import TagReads
from toolkit.sensors.rfid import LinkBudget, LinkProfile, pick_slots, run_inventory
from toolkit.sensors.rfid_gate import GateParams
from toolkit.world import MATERIALS

FAST = LinkProfile(tari_us=6.25, blf_khz=640.0, miller=1)


@pytest.fixture(scope="module")
def gate_cfg():
    return compose_config().sensor.rfid_gate


def inventory(n_tags, margin_db=100.0, zone_s=10.0, link=FAST, fading=0.0, seed=0, n_pass=1):
    rng = np.random.default_rng(seed)
    pass_of_tag = np.repeat(np.arange(n_pass), n_tags)
    margin = np.broadcast_to(margin_db, pass_of_tag.shape).astype(float)
    return run_inventory(pass_of_tag, margin, np.full(n_pass, zone_s), link, fading, 0.2, 4, 0.3, rng)


def test_singleton_share_of_a_full_frame_is_one_over_e():
    q = 12
    counts = np.bincount(pick_slots(np.full(2**q, q), np.random.default_rng(0)), minlength=2**q)
    assert (counts == 1).mean() == pytest.approx(1 / np.e, abs=0.02)


def test_slot_timing_of_the_fast_link_matches_published_singulation_time():
    assert 0.4e-3 < FAST.success_slot_s < 0.7e-3  # ~0.6 ms per tag (REFERENCES.md)
    assert 700 < 1 / FAST.expected_time_per_tag_s() < 1650  # fixed-reader throughput 700-1,500 tags/s
    slow = LinkProfile(tari_us=25.0, blf_khz=160.0, miller=4)
    assert slow.expected_time_per_tag_s() > 3 * FAST.expected_time_per_tag_s()


def test_time_to_read_n_tags_grows_as_the_model_predicts():
    times = {}
    for n in (100, 200, 400):
        result = inventory(n)
        assert result.read.all()
        times[n] = np.nanmax(result.read_time_s)
        # e slots per tag at the ALOHA optimum; the Q algorithm runs close to it
        assert times[n] == pytest.approx(n * FAST.expected_time_per_tag_s(), rel=0.2)
    assert times[400] / times[200] == pytest.approx(2.0, rel=0.12)
    assert times[200] / times[100] == pytest.approx(2.0, rel=0.12)


def test_free_space_loss_at_one_metre(gate_cfg):
    budget = LinkBudget.from_config(gate_cfg.link_budget, "b")
    assert budget.free_space_loss_db(np.array([1.0]))[0] == pytest.approx(31.7, abs=0.1)
    assert budget.orientation_loss_db(np.array([0.0]))[0] == pytest.approx(0.0)
    assert budget.orientation_loss_db(np.array([1.0]))[0] == pytest.approx(budget.orientation_loss_cap_db)


def read_share(gate_cfg, overrides=(), n_tags=20, n_pass=300, speed=1.0, material="liquid"):
    params = GateParams.from_config(gate_cfg)
    rng = np.random.default_rng(1)
    size = n_pass * n_tags
    budget = params.budget
    margin = budget.margin_db(
        rng.uniform(0.2, 0.6, size),
        np.full(size, MATERIALS.index(material)),
        rng.uniform(-1, 1, size),
        rng.random(size) < params.p_body_shadowed,
        np.full(size, n_tags),
    ) - dict(overrides).get("extra_loss_db", 0.0)
    result = run_inventory(
        np.repeat(np.arange(n_pass), n_tags),
        margin,
        np.full(n_pass, params.zone_depth_m / speed),
        dict(overrides).get("link", params.link),
        budget.fading_sigma_db,
        params.antenna_dwell_s,
        4,
        0.3,
        rng,
    )
    return result.read.mean()


def test_reads_fall_as_material_loss_grows(gate_cfg):
    shares = [read_share(gate_cfg, {"extra_loss_db": loss}) for loss in (0.0, 10.0, 20.0)]
    assert shares[0] > shares[1] > shares[2]


def test_reads_fall_as_tag_count_and_walking_speed_grow(gate_cfg):
    slow_link = {"link": LinkProfile(tari_us=25.0, blf_khz=160.0, miller=8)}
    by_count = [read_share(gate_cfg, slow_link, n_tags=n, n_pass=40, material="plain") for n in (10, 80, 320)]
    assert by_count[0] > by_count[1] > by_count[2]
    by_speed = [
        read_share(gate_cfg, slow_link, n_tags=80, n_pass=40, speed=v, material="plain") for v in (0.5, 2, 8)
    ]
    assert by_speed[0] > by_speed[1] > by_speed[2]


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"display_distance_m": -1.0}, "sensor.rfid_gate.display_distance_m"),
        ({"zone_depth_m": 0.0}, "sensor.rfid_gate.zone_depth_m"),
        ({"gate_width_m": -0.5}, "sensor.rfid_gate.gate_width_m"),
    ],
)
def test_nonsense_gate_geometry_fails_naming_the_key(gate_cfg, override, key):
    with pytest.raises(ConfigError, match=key):
        GateParams.from_config({**gate_cfg, **override})


def test_eirp_above_the_regional_limit_is_refused(gate_cfg):
    budget = dict(gate_cfg.link_budget)
    with pytest.raises(ConfigError, match=r"link_budget\.eirp_dbm"):
        LinkBudget.from_config({**budget, "region": "ETSI", "eirp_dbm": 36.0}, "sensor.rfid_gate.link_budget")
    with pytest.raises(ConfigError, match="did you mean 'ETSI'"):
        LinkBudget.from_config({**budget, "region": "ETSY"}, "sensor.rfid_gate.link_budget")


def test_decoder_drops_static_tags_and_assigns_shared_tags_to_the_loudest_pass():
    # epc 7 is a display read in 3 passes; epc 1 is read in its own pass 0 (loud) and pass 1 (faint)
    reads = TagReads(
        pass_visit=np.array([0, 0, 1, 1, 2, 0, 2]),
        epc=np.array([1, 7, 1, 7, 7, 2, 3]),
        sku=np.array([4, 9, 4, 9, 9, 4, 5]),
        rssi_db=np.array([20.0, 8.0, 5.0, 8.0, 8.0, 3.0, 12.0]),
        time_s=np.zeros(7),
    )
    receipts = RfidGateDecoder(static_passes=3).receipts(reads, n_visits=3, n_skus=10)
    assert receipts[0, 4] == 2 and receipts[1].sum() == 0 and receipts[2, 5] == 1
    assert receipts[:, 9].sum() == 0
    floor = RfidGateDecoder(static_passes=3, min_rssi_db=4.0).receipts(reads, n_visits=3, n_skus=10)
    assert floor[0, 4] == 1


def test_grocery_baskets_lose_more_items_at_the_gate_than_apparel():
    rates = {}
    for catalog in ("grocery", "apparel"):
        record = run_comparison(
            compose_config([*TINY, f"catalog={catalog}", "system=[rfid_gate]", "catalog.n_skus=60"])
        )
        rates[catalog] = record["systems"]["rfid_gate"]["rfid_unit_read_rate"]
        # the Q algorithm keeps the gate near framed slotted ALOHA's optimum of 1/e singleton slots
        assert 0.2 < record["systems"]["rfid_gate"]["rfid_gate_slot_efficiency"] <= 1 / np.e + 0.02
    assert rates["grocery"] < rates["apparel"]
