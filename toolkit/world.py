"""The store: catalog (SKUs), store layout (shelves on a 2-D floor) and planogram (slots on plates).

Everything is a structure of numpy arrays indexed by SKU, shelf, plate or slot, so that the
simulation and the recognizers vectorise over events. The world is public knowledge of the
store (what a deployed system may know); the shoppers' behaviour is not here. A world is either
drawn from a seeded synthetic recipe or built from a real store's data (`source:` in the catalog
and store sections: the AiFi Nanostore's products, fixtures and the planogram its labels imply).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BeforeValidator

from toolkit.config import (
    AtLeastOne,
    ConfigError,
    NonNegative,
    Positive,
    Probability,
    Settings,
)
from toolkit.real_data import resolve_data_root
from toolkit.real_data.aifi import AifiStore, implied_planogram, read_aifi
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
    shelf_length_m: np.ndarray  # (n_shelves,)
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

    return Catalog(
        weight_mean_g=weight_mean,
        weight_std_g=weight_std,
        price=price,
        material=material.astype(np.int64),
        lookalike_group=group,
        appearance=_appearance(group, rng),
    )


def _appearance(group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One packaging design per look-alike group; variants differ only in the patch's colour."""
    design = rng.random((int(group.max()) + 1, len(APPEARANCE_FIELDS)))
    appearance = design[group]
    appearance[:, APPEARANCE_FIELDS.index("patch_hue")] = rng.random(group.size)
    return appearance


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
        shelf_length_m=np.full(n_shelves, length),
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
    plate_width = store.shelf_length_m / plates_per_shelf
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
    """Build catalog, layout and planogram, each from its own seeded stream (from a real store's
    data where the sections name a `source`)."""
    if catalog_cfg.get("source") or store_cfg.get("source"):
        return real_world(catalog_cfg, store_cfg, seed)
    catalog = make_catalog(catalog_cfg, component_rng(seed, "world", "catalog"))
    layout = make_layout(store_cfg, component_rng(seed, "world", "layout"))
    planogram = make_planogram(store_cfg, catalog, layout, component_rng(seed, "world", "planogram"))
    return World(catalog=catalog, layout=layout, planogram=planogram)


REAL_SOURCES = ("aifi_nanostore",)


class RealCatalogSettings(Settings):
    """A catalog read from a real store's data: products, unit weights and prices as recorded."""

    config_path: ClassVar[str] = "catalog"

    name: str = ""
    source: Literal[REAL_SOURCES]
    data_root: str
    weight_std_g: NonNegative
    materials: dict[str, list[str]]  # packaging by keywords in the product name; the rest plain


class RealStoreSettings(Settings):
    """A store laid out from a real store's fixtures; what the data does not record is set here."""

    config_path: ClassVar[str] = "store"

    name: str = ""
    source: Literal[REAL_SOURCES]
    data_root: str
    floor_depth_m: Positive  # from the entrance wall to the shelves' fronts
    corner_gap_m: NonNegative  # between a side-wall gondola and the back wall's last one
    facings_per_slot: AtLeastOne
    units_per_facing: AtLeastOne


def real_world(catalog_cfg: Mapping[str, Any], store_cfg: Mapping[str, Any], seed: int) -> World:
    """The AiFi Nanostore as a world: its products (those with a recorded weight), its gondolas'
    shelves and 10 cm plates, and each product on the plate the labelled events took it from."""
    catalog_settings = RealCatalogSettings.from_config(catalog_cfg)
    store_settings = RealStoreSettings.from_config(store_cfg)
    if (
        catalog_settings.source != store_settings.source
        or catalog_settings.data_root != store_settings.data_root
    ):
        raise ConfigError(
            f"catalog.source and store.source must read the same store's data: got "
            f"{catalog_settings.source} at {catalog_settings.data_root} and "
            f"{store_settings.source} at {store_settings.data_root}"
        )
    store = read_aifi(resolve_data_root(store_settings.data_root) / store_settings.source)
    products = store.products[store.products["weight_g"] > 0]  # unlabelled bags recorded as 0 g
    catalog = _real_catalog(products, catalog_settings, component_rng(seed, "world", "catalog"))
    layout = _real_layout(store, store_settings)
    planogram = _real_planogram(store, products, layout, store_settings)
    return World(catalog=catalog, layout=layout, planogram=planogram)


def _real_catalog(products: pd.DataFrame, settings: RealCatalogSettings, rng: np.random.Generator) -> Catalog:
    """Weights and prices as recorded; packaging from the product name; a brand (the name's first
    word) shares one packaging design, as flavour variants do; looks are drawn, as the data has none."""
    names = products["name"].str.lower()
    material = np.zeros(len(products), dtype=np.int64)
    unknown = set(settings.materials) - set(MATERIALS)
    if unknown:
        raise ConfigError(
            f"catalog.materials: unknown material {sorted(unknown)}; allowed: {', '.join(MATERIALS)}"
        )
    for kind in reversed([m for m in MATERIALS if m in settings.materials]):  # the first match wins
        hit = names.apply(lambda name, words=settings.materials[kind]: any(w.lower() in name for w in words))
        material[hit.to_numpy()] = MATERIALS.index(kind)
    brand = names.str.extract(r"^\W*(\w+)", expand=False).fillna("")
    group = pd.factorize(brand, sort=True)[0].astype(np.int64)
    return Catalog(
        weight_mean_g=products["weight_g"].to_numpy(float).round(1),
        weight_std_g=np.full(len(products), settings.weight_std_g),
        price=products["price"].to_numpy(float),
        material=material,
        lookalike_group=group,
        appearance=_appearance(group, rng),
    )


def _real_layout(store: AifiStore, settings: RealStoreSettings) -> StoreLayout:
    """One toolkit shelf per gondola level, at its gondola's place along the back wall. Every shelf
    in the toolkit faces the floor the same way, so a gondola turned to a side wall stands after
    the back wall's last one, `corner_gap_m` on; levels of one gondola share its front."""
    gondolas = store.gondolas.set_index("id")
    turned = gondolas["rotation_rad"].abs() > 1e-3
    left = gondolas["x_m"].where(~turned)
    end = float((left + gondolas["length_m"]).max())
    for gondola in gondolas.index[turned]:
        left[gondola] = end + settings.corner_gap_m
        end = left[gondola] + gondolas.loc[gondola, "length_m"]
    width = end + settings.corner_gap_m + 0.5
    shelves = store.shelves
    lengths = gondolas.loc[shelves["gondola"], "length_m"].to_numpy(float)
    x = left.loc[shelves["gondola"]].to_numpy(float) + lengths / 2
    xy = np.stack([x, np.full(x.size, settings.floor_depth_m)], axis=1)
    along_wall = x * 100 + shelves["shelf"].to_numpy()
    return StoreLayout(
        floor_area_m2=width * settings.floor_depth_m,
        width_m=width,
        depth_m=settings.floor_depth_m,
        shelf_xy=xy,
        shelf_length_m=lengths,
        entry_xy=np.array([0.0, 0.0]),
        exit_xy=np.array([width, 0.0]),
        route_order=np.argsort(np.argsort(along_wall, kind="stable"), kind="stable"),
    )


def _real_planogram(
    store: AifiStore, products: pd.DataFrame, layout: StoreLayout, settings: RealStoreSettings
) -> Planogram:
    """Each product in one slot on its home plate (the one its pick events start on); products
    sharing a plate split it into equal slots."""
    plates = store.plates
    widths = plates["width_m"].unique()
    if widths.size != 1:
        raise ValueError(f"store.source: plates of {widths.size} widths; the planogram needs one width")
    shelf_index = pd.MultiIndex.from_frame(store.shelves[["gondola", "shelf"]])
    plate_shelf = shelf_index.get_indexer(pd.MultiIndex.from_frame(plates[["gondola", "shelf"]]))
    plate_index = pd.MultiIndex.from_frame(plates[["gondola", "shelf", "plate"]])
    home = implied_planogram(store).loc[products.index]
    sku_plate = plate_index.get_indexer(pd.MultiIndex.from_frame(home[["gondola", "shelf", "plate"]]))
    if (sku_plate < 0).any():
        missing = home.index[sku_plate < 0][0]
        raise ValueError(f"store.source: product {missing} was taken from a plate the fixtures do not list")
    rank = pd.Series(sku_plate).groupby(sku_plate).cumcount().to_numpy()
    per_plate = int(rank.max()) + 1
    plate_width = float(widths[0])
    slot_width = plate_width / per_plate
    slot_offset = plates["offset_m"].to_numpy(float)[sku_plate] - plate_width / 2 + (rank + 0.5) * slot_width
    n = len(products)
    return Planogram(
        slot_sku=np.arange(n),
        slot_plate=sku_plate.astype(np.int64),
        slot_facings=np.full(n, settings.facings_per_slot),
        slot_stock=np.full(n, settings.facings_per_slot * settings.units_per_facing),
        plate_shelf=plate_shelf.astype(np.int64),
        plate_offset_m=plates["offset_m"].to_numpy(float),
        sku_slot=np.arange(n),
        slot_offset_m=slot_offset,
        plate_width_m=plate_width,
        slot_width_m=slot_width,
    )
