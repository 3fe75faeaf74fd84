"""The RFID exit gate: every visit walks its basket through the gate's read zone.

Each pass inventories three kinds of tags: those in the shopper's own basket (after tagging
compliance: some items carry no tag, two tags, or a tag encoding the wrong SKU), tags on display
shelves next to the gate (stray reads), and tags in the basket of anyone passing at the same
moment (stray reads from a neighbour). The link budget and the Gen2 inventory (rfid.py) decide
which of them are read, and with what signal strength.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.config import ConfigError, number, probability
from toolkit.sensors.observations import TagReads
from toolkit.sensors.rfid import InventoryResult, LinkBudget, LinkProfile, run_inventory
from toolkit.sensors.tagging import TaggingParams, tag_units
from toolkit.shoppers import GroundTruth
from toolkit.world import World

OWN, DISPLAY, NEIGHBOUR = 0, 1, 2


@dataclass(frozen=True)
class GateParams:
    budget: LinkBudget
    link: LinkProfile
    tagging: TaggingParams
    q_initial: int
    q_step: float
    antenna_dwell_s: float
    gate_width_m: float
    zone_depth_m: float
    basket_spread_m: float
    p_body_shadowed: float
    display_tags: int
    display_distance_m: float
    neighbour_offset_m: float

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> GateParams:
        p = "sensor.rfid_gate"
        for section in ("link_budget", "link_profile", "tagging"):
            if section not in cfg:
                raise ConfigError(f"{p}.{section}: missing")
        return cls(
            budget=LinkBudget.from_config(cfg["link_budget"], f"{p}.link_budget"),
            link=LinkProfile.from_config(cfg["link_profile"], f"{p}.link_profile"),
            tagging=TaggingParams.from_config(cfg["tagging"], f"{p}.tagging"),
            q_initial=number(cfg, "q_initial", p, low=0, high=15, integer=True),
            q_step=number(cfg, "q_step", p, low=0.1, high=0.5),
            antenna_dwell_s=number(cfg, "antenna_dwell_s", p, low=0.0, low_open=True),
            gate_width_m=number(cfg, "gate_width_m", p, low=0.0, low_open=True),
            zone_depth_m=number(cfg, "zone_depth_m", p, low=0.0, low_open=True),
            basket_spread_m=number(cfg, "basket_spread_m", p, low=0.0),
            p_body_shadowed=probability(cfg, "p_body_shadowed", p),
            display_tags=number(cfg, "display_tags", p, low=0, integer=True),
            display_distance_m=number(cfg, "display_distance_m", p, low=0.0, low_open=True),
            neighbour_offset_m=number(cfg, "neighbour_offset_m", p, low=0.0),
        )


@dataclass(frozen=True)
class GateTruth:
    """Truth-side record of the gate (for metrics only): per basket unit, its SKU, tagging
    and whether one of its tags was read in its own pass; per pass, reader time and slots."""

    unit_sku: np.ndarray
    unit_tags: np.ndarray
    unit_read: np.ndarray
    inventory: InventoryResult
    entry_kind: np.ndarray


def _units(basket: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    visit, sku = np.nonzero(basket)
    n = basket[visit, sku]
    return np.repeat(visit, n), np.repeat(sku, n)


def _overlapping_passes(exit_s: np.ndarray, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j), i ≠ j, of passes less than `window_s` apart."""
    order = np.argsort(exit_s, kind="stable")
    t = exit_s[order]
    lo = np.searchsorted(t, t - window_s, side="right")
    hi = np.searchsorted(t, t + window_s, side="left")
    n = hi - lo
    i = np.repeat(np.arange(t.size), n)
    j = np.repeat(lo, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    keep = i != j
    return order[i[keep]], order[j[keep]]


def _expand_groups(group_start: np.ndarray, group_size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each group g, the indices start[g] .. start[g] + size[g] − 1, and g for each of them."""
    owner = np.repeat(np.arange(group_size.size), group_size)
    offset = np.arange(group_size.sum()) - np.repeat(np.cumsum(group_size) - group_size, group_size)
    return np.repeat(group_start, group_size) + offset, owner


def simulate_gate(
    world: World, truth: GroundTruth, params: GateParams, walking_speed_mps: float, rng: np.random.Generator
) -> tuple[TagReads, GateTruth]:
    """Tag reads of every visit's pass through the exit gate."""
    cat = world.catalog
    n_visits = truth.n_visits
    unit_visit, unit_sku = _units(truth.basket)
    n_units = unit_visit.size

    # tagging compliance: untagged, double-tagged, mis-encoded
    unit_tags, tag_unit, tag_sku = tag_units(unit_sku, params.tagging, cat.n_skus, rng)
    tag_visit = unit_visit[tag_unit]
    n_tags = tag_unit.size
    basket_tags = np.bincount(tag_visit, minlength=n_visits)

    # geometry of each basket tag as carried through the gate
    half = params.gate_width_m / 2.0
    across = half + params.basket_spread_m * rng.standard_normal(n_tags)
    own_distance = np.clip(np.minimum(across, params.gate_width_m - across), 0.1, half)
    shadowed = (rng.random(n_units) < params.p_body_shadowed)[tag_unit]

    # display tags near the gate: seen by every pass
    display_sku = rng.integers(cat.n_skus, size=params.display_tags)
    display_epc = n_tags + np.arange(params.display_tags)

    # neighbours: baskets of other passes within the same zone time
    zone_time = params.zone_depth_m / walking_speed_mps
    pass_i, pass_j = _overlapping_passes(truth.visit_exit_s, zone_time)
    tags_by_visit = np.argsort(tag_visit, kind="stable")
    first_tag = np.r_[0, np.cumsum(basket_tags)[:-1]]
    neighbour_pos, pair = _expand_groups(first_tag[pass_j], basket_tags[pass_j])
    neighbour_tag = tags_by_visit[neighbour_pos]

    display_pass = np.repeat(np.arange(n_visits), params.display_tags)
    display_index = np.tile(np.arange(params.display_tags), n_visits)
    entry_pass = np.r_[tag_visit, display_pass, pass_i[pair]]
    entry_epc = np.r_[np.arange(n_tags), display_epc[display_index], neighbour_tag]
    entry_sku = np.r_[tag_sku, display_sku[display_index], tag_sku[neighbour_tag]]
    entry_kind = np.r_[
        np.full(n_tags, OWN), np.full(display_pass.size, DISPLAY), np.full(pair.size, NEIGHBOUR)
    ]
    material = np.r_[
        cat.material[unit_sku[tag_unit]],
        cat.material[display_sku[display_index]],
        cat.material[unit_sku[tag_unit[neighbour_tag]]],
    ]
    distance = np.r_[
        own_distance,
        np.full(display_pass.size, params.display_distance_m),
        own_distance[neighbour_tag] + params.neighbour_offset_m,
    ]
    body = np.r_[shadowed, np.zeros(display_pass.size, bool), shadowed[neighbour_tag]]
    nearby = np.r_[
        basket_tags[tag_visit],
        np.full(display_pass.size, params.display_tags),
        basket_tags[tag_visit[neighbour_tag]],
    ]
    cos_theta = rng.uniform(-1.0, 1.0, entry_pass.size)
    margin = params.budget.margin_db(distance, material, cos_theta, body, nearby)

    inventory = run_inventory(
        entry_pass,
        margin,
        np.full(n_visits, zone_time),
        params.link,
        params.budget.fading_sigma_db,
        params.antenna_dwell_s,
        params.q_initial,
        params.q_step,
        rng,
    )
    got = np.flatnonzero(inventory.read)
    order = got[np.lexsort((inventory.read_time_s[got], entry_pass[got]))]
    reads = TagReads(
        pass_visit=entry_pass[order],
        epc=entry_epc[order],
        sku=entry_sku[order],
        rssi_db=inventory.read_margin_db[order],
        time_s=truth.visit_exit_s[entry_pass[order]] - zone_time + inventory.read_time_s[order],
    )
    own_read = inventory.read[:n_tags]
    unit_read = np.bincount(tag_unit[own_read], minlength=n_units) > 0
    return reads, GateTruth(unit_sku, unit_tags, unit_read, inventory, entry_kind)
