"""Item-level tagging compliance: which physical units carry a tag, two tags, or a wrong one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.config import ConfigError, number, probability
from toolkit.sensors.rfid import LinkBudget
from toolkit.world import MATERIALS

if TYPE_CHECKING:
    from toolkit.metrics.cost import PriceBook


@dataclass(frozen=True)
class TaggingParams:
    """Tagging compliance (Auburn RFID Lab audit 2015: 3.5 % of items with tagging problems)."""

    p_untagged: float
    p_double_tagged: float
    p_misencoded: float
    on_metal: np.ndarray  # (len(MATERIALS),) bool: packaging tagged with on-metal tags
    on_metal_loss_db: float

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], path: str) -> TaggingParams:
        chosen = list(cfg.get("on_metal") or [])
        unknown = set(chosen) - set(MATERIALS)
        if unknown:
            raise ConfigError(f"{path}.on_metal: unknown material {sorted(unknown)}; allowed: {MATERIALS}")
        params = cls(
            p_untagged=probability(cfg, "p_untagged", path),
            p_double_tagged=probability(cfg, "p_double_tagged", path),
            p_misencoded=probability(cfg, "p_misencoded", path),
            on_metal=np.array([m in chosen for m in MATERIALS]),
            on_metal_loss_db=number(cfg, "on_metal_loss_db", path, low=0.0),
        )
        if params.p_untagged + params.p_double_tagged > 1.0:
            raise ConfigError(f"{path}: p_untagged + p_double_tagged must not exceed 1")
        return params


def deployed_budget(params: TaggingParams, budget: LinkBudget) -> LinkBudget:
    """The link budget of the tags the store put on: a plain inlay suffers its packaging's
    detuning loss, an on-metal tag (spacer, tuned for the surface) only its own."""
    losses = np.where(params.on_metal, params.on_metal_loss_db, budget.material_loss_db)
    return replace(budget, material_loss_db=losses)


def tag_units(
    unit_sku: np.ndarray, params: TaggingParams, n_skus: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tags per unit (0, 1 or 2), and for each tag its unit and the SKU it encodes."""
    u = rng.random(unit_sku.size)
    unit_tags = np.where(u < params.p_untagged, 0, 1)
    unit_tags = np.where(u > 1.0 - params.p_double_tagged, 2, unit_tags)
    tag_unit = np.repeat(np.arange(unit_sku.size), unit_tags)
    wrong = (rng.random(tag_unit.size) < params.p_misencoded) & (n_skus > 1)
    other = (unit_sku[tag_unit] + rng.integers(1, max(n_skus, 2), tag_unit.size)) % n_skus
    return unit_tags, tag_unit, np.where(wrong, other, unit_sku[tag_unit])


def tag_cost_per_unit(prices: PriceBook, on_metal: np.ndarray) -> np.ndarray:
    """Tag and labour per unit, per material (indexed like MATERIALS): on-metal tags where chosen."""
    return np.where(on_metal, prices.on_metal_tag_price, prices.tag_price) + prices.tagging_labour_per_item
