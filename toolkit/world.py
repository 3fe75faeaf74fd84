"""The store: catalog (SKUs), store layout (shelves on a 2-D floor) and planogram (slots on plates).

Everything is a structure of numpy arrays indexed by SKU, shelf, plate or slot, so that the
simulation and the recognizers vectorise over events. The world is public knowledge of the
store (what a deployed system may know); the shoppers' behaviour is not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import BeforeValidator

from toolkit.config import (
    AtLeastOne,
    ConfigError,
    NonNegative,
    Positive,
    Probability,
    Settings,
)
from toolkit.seeding import component_rng

MATERIALS: tuple[str, ...] = ("plain", "liquid", "metal", "foil")
APPEARANCE_FIELDS: tuple[str, ...] = (
    "shape",  # 0 box, 0.33 bottle, 0.66 can, 1 bag (continuous for the renderer)
    "hue_primary",
    "hue_secondary",
    "lightness",
    "logo",
    "band_pattern",
    "patch_hue",  # the small patch where look-alike variants differ
)


@dataclass(frozen=True)
class Catalog:
    """SKU attributes, one array entry per SKU.

    weight_mean_g, weight_std_g: unit weight in grams (std = unit-to-unit variation).
    price: sale price per unit (currency units). material: index into MATERIALS.
    lookalike_group: SKUs sharing an id share a packaging design (flavour variants).
    appearance: (n_skus, len(APPEARANCE_FIELDS)) values in [0, 1] for the renderer.
    """

    weight_mean_g: np.ndarray
    weight_std_g: np.ndarray
    price: np.ndarray
    material: np.ndarray
    lookalike_group: np.ndarray
    appearance: np.ndarray

    @property
    def n_skus(self) -> int:
        return int(self.weight_mean_g.shape[0])


@dataclass(frozen=True)
class StoreLayout:
    """Shelf units on a rectangular floor (metres); entry and exit gate on the front wall."""

    floor_area_m2: float
    width_m: float
    depth_m: float
    shelf_xy: np.ndarray  # (n_shelves, 2) centre of each shelf's front edge
    shelf_length_m: float
    entry_xy: np.ndarray  # (2,)
    exit_xy: np.ndarray  # (2,)
    route_order: np.ndarray  # (n_shelves,) rank of each shelf along the serpentine route

    @property
    def n_shelves(self) -> int:
        return int(self.shelf_xy.shape[0])


@dataclass(frozen=True)
class Planogram:
    """Slots on plates on shelves. A plate is one load-cell platform; a slot holds one SKU.

    slot_* arrays have one entry per slot; sku_slot maps each SKU to its (single) slot.
    plate_offset_m is the plate centre along its shelf, from the shelf's left end; slot_offset_m
    the slot centre, slot_width_m every slot's width, plate_width_m every plate's.
    """

    slot_sku: np.ndarray  # (n_slots,) SKU index, -1 for an empty slot
    slot_plate: np.ndarray  # (n_slots,)
    slot_facings: np.ndarray  # (n_slots,)
    slot_stock: np.ndarray  # (n_slots,) units on the shelf at opening
    plate_shelf: np.ndarray  # (n_plates,)
    plate_offset_m: np.ndarray  # (n_plates,)
    sku_slot: np.ndarray  # (n_skus,)
    slot_offset_m: np.ndarray  # (n_slots,)
    plate_width_m: float
    slot_width_m: float

    @property
    def n_plates(self) -> int:
        return int(self.plate_shelf.shape[0])

    @property
    def sku_plate(self) -> np.ndarray:
        return self.slot_plate[self.sku_slot]

    @property
    def sku_shelf(self) -> np.ndarray:
        return self.plate_shelf[self.sku_plate]

    def skus_on_plate(self, plate: int) -> np.ndarray:
        skus = self.slot_sku[self.slot_plate == plate]
        return skus[skus >= 0]


@dataclass(frozen=True)
class World:
    catalog: Catalog
    layout: StoreLayout
    planogram: Planogram


def per_material(value: Any) -> np.ndarray:
    """{material: amount} in config (missing materials 0) as an array indexed like MATERIALS."""
    if isinstance(value, np.ndarray):
        return value
    losses = dict(value or {})
    unknown = set(losses) - set(MATERIALS)
    if unknown:
        raise ValueError(f"unknown material {sorted(unknown)}; allowed: {', '.join(MATERIALS)}")
    array = np.array([losses.get(m, 0.0) for m in MATERIALS], dtype=float)
    if not np.all(np.isfinite(array) & (array >= 0.0)):
        raise ValueError(f"amounts must be finite and >= 0, got {losses}")
    return array


def _material_shares(value: Any) -> np.ndarray:
    """{material: share} in config as probabilities indexed like MATERIALS."""
    shares = per_material(value)
    if shares.sum() <= 0:
        raise ValueError("shares must not all be zero")
    return shares / shares.sum()


class CatalogSettings(Settings):
    """The `catalog` section: how the store's products weigh, cost, look and are packed."""

    config_path: ClassVar[str] = "catalog"

    name: str = ""
    n_skus: AtLeastOne
    weight_median_g: Positive
    weight_log_sigma: NonNegative
    weight_std_g: NonNegative
    price_median: Positive
    price_log_sigma: NonNegative
    material_mix: Annotated[np.ndarray, BeforeValidator(_material_shares)]
    lookalike_share: Probability
    lookalike_max_group: AtLeastOne
    weight_collision: Probability
    variant_weight_log_sigma: NonNegative


class StoreSettings(Settings):
    """The `store` section: floor, shelves, plates and how deep the shelves are stocked."""

    config_path: ClassVar[str] = "store"

    name: str = ""
    floor_area_m2: Positive
    n_shelves: AtLeastOne
    plates_per_shelf: AtLeastOne
    shelf_length_m: Positive
    aisle_pitch_m: Positive
    facings_per_slot: AtLeastOne
    units_per_facing: AtLeastOne


def _lookalike_groups(n_skus: int, share: float, max_size: int, rng: np.random.Generator) -> np.ndarray:
    """Group ids: about `share` of SKUs sit in groups of 2..max_size, the rest alone."""
    n_grouped = round(share * n_skus) if max_size >= 2 else 0
    sizes: list[int] = []
    while sum(sizes) < n_grouped:
        room = n_grouped - sum(sizes)
        if room < 2:
            break
        sizes.append(int(rng.integers(2, min(max_size, room) + 1)))
    group_sizes = np.array(sizes + [1] * (n_skus - sum(sizes)), dtype=np.int64)
    return np.repeat(np.arange(group_sizes.size), group_sizes)


def make_catalog(cfg: Mapping[str, Any], rng: np.random.Generator) -> Catalog:
    """A seeded synthetic catalog from a `catalog/` config node."""
    c = CatalogSettings.from_config(cfg)
    n, median_g, log_sigma, std_g = c.n_skus, c.weight_median_g, c.weight_log_sigma, c.weight_std_g
    price_median, price_sigma, share = c.price_median, c.price_log_sigma, c.lookalike_share
    max_size, collision, variant_sigma = c.lookalike_max_group, c.weight_collision, c.variant_weight_log_sigma
    materials = c.material_mix

    group = _lookalike_groups(n, share, max_size, rng)
    n_groups = int(group.max()) + 1
    first_of_group = np.r_[True, group[1:] != group[:-1]]

    base_weight = median_g * np.exp(log_sigma * rng.standard_normal(n_groups))
    # a variant either collides with its group's nominal weight or differs (new size or recipe)
    differs = (rng.random(n) >= collision) & ~first_of_group
    variant_factor = np.where(differs, np.exp(variant_sigma * rng.standard_normal(n)), 1.0)
    weight_mean = np.round(base_weight[group] * variant_factor, 1)
    weight_std = np.full(n, std_g)

    material = rng.choice(len(MATERIALS), size=n_groups, p=materials)[group]
    price = np.round(
        price_median * (weight_mean / median_g) ** 0.4 * np.exp(price_sigma * rng.standard_normal(n)), 2
    )
    price = np.maximum(price, 0.1)

    design = rng.random((n_groups, len(APPEARANCE_FIELDS)))
    appearance = design[group]
    appearance[:, APPEARANCE_FIELDS.index("patch_hue")] = rng.random(n)
    return Catalog(
        weight_mean_g=weight_mean,
        weight_std_g=weight_std,
        price=price,
        material=material.astype(np.int64),
        lookalike_group=group,
        appearance=appearance,
    )


def make_layout(cfg: Mapping[str, Any], rng: np.random.Generator) -> StoreLayout:
    """Shelf units in rows (aisles) on a floor of the configured area; a serpentine shopping route."""
    store = StoreSettings.from_config(cfg)
    p = store.config_path
    area, n_shelves, length, aisle = (
        store.floor_area_m2,
        store.n_shelves,
        store.shelf_length_m,
        store.aisle_pitch_m,
    )
    width = float(np.sqrt(area * 1.5))
    depth = area / width
    n_rows = max(1, min(n_shelves, int(depth // aisle)))
    per_row = int(np.ceil(n_shelves / n_rows))
    idx = np.arange(n_shelves)
    row, col = idx // per_row, idx % per_row
    x_pitch = width / (per_row + 1)
    xy = np.stack([(col + 1) * x_pitch, (row + 1) * depth / (n_rows + 1)], axis=1)
    serpentine_col = np.where(row % 2 == 0, col, per_row - 1 - col)
    route_order = np.argsort(np.argsort(row * per_row + serpentine_col, kind="stable"), kind="stable")
    if length > x_pitch:
        raise ConfigError(
            f"{p}.shelf_length_m: {length} m shelves do not fit {per_row} per row "
            f"on a {width:.1f} m wide floor"
        )
    return StoreLayout(
        floor_area_m2=area,
        width_m=width,
        depth_m=depth,
        shelf_xy=xy,
        shelf_length_m=length,
        entry_xy=np.array([0.0, 0.0]),
        exit_xy=np.array([width, 0.0]),
        route_order=route_order,
    )


def make_planogram(
    cfg: Mapping[str, Any], catalog: Catalog, layout: StoreLayout, rng: np.random.Generator
) -> Planogram:
    """Assign SKUs to slots; look-alike variants sit next to each other, as stores shelve them."""
    store = StoreSettings.from_config(cfg)
    plates_per_shelf, facings, depth = store.plates_per_shelf, store.facings_per_slot, store.units_per_facing
    n_plates = layout.n_shelves * plates_per_shelf
    slots_per_plate = int(np.ceil(catalog.n_skus / n_plates))
    n_slots = n_plates * slots_per_plate

    group_order = rng.permutation(int(catalog.lookalike_group.max()) + 1)
    rank_of_group = np.argsort(group_order)
    sku_order = np.lexsort((np.arange(catalog.n_skus), rank_of_group[catalog.lookalike_group]))
    # contiguous runs of the ordered SKUs go to consecutive plates, spread evenly over all plates
    k = np.arange(catalog.n_skus)
    plate_of_k = k * n_plates // catalog.n_skus
    slot_index = plate_of_k * slots_per_plate + (k - np.searchsorted(plate_of_k, plate_of_k))
    slot_plate = np.repeat(np.arange(n_plates), slots_per_plate)
    slot_sku = np.full(n_slots, -1, dtype=np.int64)
    slot_sku[slot_index] = sku_order
    sku_slot = np.empty(catalog.n_skus, dtype=np.int64)
    sku_slot[sku_order] = slot_index

    plate_shelf = np.repeat(np.arange(layout.n_shelves), plates_per_shelf)
    plate_width = layout.shelf_length_m / plates_per_shelf
    plate_offset = (np.tile(np.arange(plates_per_shelf), layout.n_shelves) + 0.5) * plate_width
    occupied = slot_sku >= 0
    slot_width = plate_width / slots_per_plate
    slot_offset = (
        plate_offset[slot_plate] - plate_width / 2 + (np.arange(n_slots) % slots_per_plate + 0.5) * slot_width
    )
    return Planogram(
        slot_sku=slot_sku,
        slot_plate=slot_plate,
        slot_facings=np.where(occupied, facings, 0),
        slot_stock=np.where(occupied, facings * depth, 0),
        plate_shelf=plate_shelf,
        plate_offset_m=plate_offset,
        sku_slot=sku_slot,
        slot_offset_m=slot_offset,
        plate_width_m=plate_width,
        slot_width_m=slot_width,
    )


def make_world(catalog_cfg: Mapping[str, Any], store_cfg: Mapping[str, Any], seed: int) -> World:
    """Build catalog, layout and planogram, each from its own seeded stream."""
    catalog = make_catalog(catalog_cfg, component_rng(seed, "world", "catalog"))
    layout = make_layout(store_cfg, component_rng(seed, "world", "layout"))
    planogram = make_planogram(store_cfg, catalog, layout, component_rng(seed, "world", "planogram"))
    return World(catalog=catalog, layout=layout, planogram=planogram)
