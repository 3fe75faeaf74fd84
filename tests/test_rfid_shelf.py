"""Smart RFID shelves: departures, phantoms, and the decoder's cart rules."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import TINY, compose_config, small_day

from toolkit.comparison import run_comparison
from toolkit.decoders import RfidShelfDecoder
from toolkit.seeding import component_rng
from toolkit.sensors.observations import Presence, ShelfReaderSignal, ShelfTagEvents
from toolkit.sensors.presence import PresenceParams
from toolkit.sensors.rfid_shelf import (
    DEPART,
    REAPPEAR,
    ShelfReaderParams,
    _absence_cycles,
    simulate_shelf_readers,
)
from toolkit.world import MATERIALS


@pytest.fixture(scope="module")
def setup():
    return small_day()


def readers(cfg, world, truth, **override):
    node = {**cfg.sensor.rfid_shelf, **override}
    return simulate_shelf_readers(
        world,
        truth,
        ShelfReaderParams.from_config(node),
        PresenceParams.from_config(cfg.sensor.presence),
        component_rng(0, "shelf"),
    )


def test_absence_run_keeps_the_false_alarm_per_cycle_below_alpha(setup):
    cfg, *_ = setup
    params = ShelfReaderParams.from_config(cfg.sensor.rfid_shelf)
    p = np.array([0.05, 0.3, 0.9, 0.999])
    n = _absence_cycles(params, p)
    assert np.all((1 - p) ** n <= params.false_alarm_per_cycle * (1 + 1e-9))
    assert np.all(n >= params.absence_s / params.cycle_s)
    assert np.all(np.diff(n) <= 0)  # rarely read tags need longer runs


def test_departures_of_bought_units_are_seen_and_phantoms_follow_alpha(setup):
    cfg, world, truth = setup
    signal, shelf = readers(cfg, world, truth)
    recall = shelf.unit_departed[shelf.unit_bought].mean()
    assert recall > 0.85
    loose = readers(cfg, world, truth, false_alarm_per_cycle=1e-3)[1]
    assert (loose.departure_visit < 0).sum() > (shelf.departure_visit < 0).sum()
    assert np.all(np.diff(signal.events.time_s) >= 0)


def test_metal_items_are_harder_to_see_leave_a_shelf(setup):
    cfg, world, truth = setup
    metal = {m: (20.0 if m == "metal" else 0.0) for m in MATERIALS}
    plain = dict.fromkeys(MATERIALS, 0.0)
    budget = dict(cfg.sensor.rfid_shelf.link_budget)
    inlays = {**cfg.sensor.rfid_shelf.tagging, "on_metal": []}
    detuned = readers(cfg, world, truth, link_budget={**budget, "material_loss_db": metal}, tagging=inlays)[1]
    clean = readers(cfg, world, truth, link_budget={**budget, "material_loss_db": plain}, tagging=inlays)[1]
    assert detuned.unit_departed[detuned.unit_bought].mean() < clean.unit_departed[clean.unit_bought].mean()
    # on-metal tags on the metal packaging bring its departures back
    on_metal = readers(cfg, world, truth, link_budget={**budget, "material_loss_db": metal})[1]
    assert (
        on_metal.unit_departed[on_metal.unit_bought].mean()
        > detuned.unit_departed[detuned.unit_bought].mean()
    )


def test_reader_times_come_from_its_cycles_and_a_tag_read_again_in_time_never_departs(setup):
    cfg, world, truth = setup
    events = readers(cfg, world, truth)[0].events
    depart, back = events.change == DEPART, events.change == REAPPEAR
    # a departure is bounded by the cycle that last read the tag and the next one, which missed it
    gap = (events.moved_by_s - events.last_read_s)[depart]
    assert np.allclose(gap, ShelfReaderParams.from_config(cfg.sensor.rfid_shelf).cycle_s)
    # a tag read again on the cycle that would have declared it gone was never gone: no departure
    # and reappearance share a tag and a time (such a pair made the decoder charge a put-back)
    shared = np.intersect1d(
        events.epc[depart] * 1e6 + events.time_s[depart], events.epc[back] * 1e6 + events.time_s[back]
    )
    assert shared.size == 0 and back.sum() > 0


def signal_of(change, epc, time, visit_seen):
    n = len(change)
    events = ShelfTagEvents(
        change=np.array(change),
        epc=np.array(epc),
        sku=np.full(n, 3),
        plate=np.zeros(n, int),
        shelf=np.zeros(n, int),
        time_s=np.array(time, float),
        last_read_s=np.array(time, float),
        moved_by_s=np.array(time, float),
    )
    presence = Presence(candidate_visit=np.array(visit_seen)[:, None], candidate_pos_m=np.zeros((n, 1)))
    return ShelfReaderSignal(events=events, presence=presence)


def test_decoder_charges_departures_and_refunds_reappearances_before_exit():
    # tag 1 leaves with visit 0 and stays gone; tag 2 leaves with visit 1 and comes back before visit 1
    # exits; tag 3 leaves with visit 1 and comes back only after visit 1 has left; tag 4 leaves unseen
    signal = signal_of(
        change=[DEPART, DEPART, REAPPEAR, DEPART, REAPPEAR, DEPART],
        epc=[1, 2, 2, 3, 3, 4],
        time=[10, 20, 30, 40, 500, 60],
        visit_seen=[0, 1, -1, 1, -1, -1],
    )
    exit_s = np.array([100.0, 200.0])
    decoder = RfidShelfDecoder.from_config(compose_config().system.rfid_shelf.decoder)
    visit = decoder.event_visits(signal, np.array([0.0]))
    assert visit.tolist() == [0, 1, 1, 1, 1, -1]  # a reappearance belongs to its tag's departure
    carts = decoder.receipts(signal, visit, exit_s, n_skus=5)
    assert carts[:, 3].tolist() == [1, 1]


def test_the_smart_shelves_doubt_a_visit_by_how_unsure_the_cameras_were_of_its_departures():
    # visit 0's departure had one shopper at the plate; visit 1's two, equally near: 50 % sure
    signal = signal_of(change=[DEPART, DEPART], epc=[1, 2], time=[10, 20], visit_seen=[0, 1])
    presence = Presence(candidate_visit=np.array([[0, -1], [1, 0]]), candidate_pos_m=np.zeros((2, 2)))
    signal = ShelfReaderSignal(events=signal.events, presence=presence)
    decoder = RfidShelfDecoder.from_config(compose_config().system.rfid_shelf.decoder)
    world = SimpleNamespace(planogram=SimpleNamespace(plate_offset_m=np.array([0.0])))
    obs = SimpleNamespace(
        readings={"rfid_shelf": signal}, entry=SimpleNamespace(visit_exit_s=np.array([99.0, 99.0]))
    )
    assert decoder.doubt(world, obs) == pytest.approx([0.0, np.log(2.0)])


@pytest.mark.e2e
def test_smart_shelves_attribute_through_the_shopper_tracks():
    def attributed(*extra):
        overrides = [*TINY, "system=[rfid_shelf]", "sensor=[door,loadcell,presence,rfid_shelf]", *extra]
        return run_comparison(compose_config(overrides))["systems"]["rfid_shelf"]["yield_take_attributed"]

    weak_reid = ("sensor.presence.appearance_noise=3", "tracking.appearance_noise=3")
    assert attributed(*weak_reid, "sensor.presence.detection_noise_m=0.25") < attributed() - 0.03
