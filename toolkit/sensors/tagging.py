"""Item-level tagging compliance: which physical units carry a tag, two tags, or a wrong one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self

import numpy as np
from pydantic import BeforeValidator, model_validator

from toolkit.config import (
    NonNegative,
    Probability,
    Settings,
)
from toolkit.sensors.rfid import LinkBudget
from toolkit.world import MATERIALS

if TYPE_CHECKING:
    from toolkit.metrics.cost import PriceBook


def _materials(value: Any) -> np.ndarray:
    """A list of packaging materials in config as a mask indexed like MATERIALS."""
    if isinstance(value, np.ndarray):
        return value
    chosen = list(value or [])
    unknown = set(chosen) - set(MATERIALS)
    if unknown:
        raise ValueError(f"unknown material {sorted(unknown)}; allowed: {', '.join(MATERIALS)}")
    return np.array([m in chosen for m in MATERIALS])


class TaggingParams(Settings):
    """Tagging compliance (Auburn RFID Lab audit 2015: 3.5 % of items with tagging problems)."""

    p_untagged: Probability
    p_double_tagged: Probability
    p_misencoded: Probability
    on_metal: Annotated[np.ndarray, BeforeValidator(_materials)]  # packaging with on-metal tags
    on_metal_loss_db: NonNegative

    @model_validator(mode="after")
    def _shares_add_up(self) -> Self:
        if self.p_untagged + self.p_double_tagged > 1.0:
            raise ValueError("p_double_tagged: p_untagged + p_double_tagged must not exceed 1")
        return self


def deployed_budget(params: TaggingParams, budget: LinkBudget) -> LinkBudget:
    """The link budget of the tags the store put on: a plain inlay suffers its packaging's
    detuning loss, an on-metal tag (spacer, tuned for the surface) only its own."""
    losses = np.where(params.on_metal, params.on_metal_loss_db, budget.material_loss_db)
    return budget.model_copy(update={"material_loss_db": losses})


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
    return (
        np.where(on_metal, prices.rfid.on_metal_tag_price, prices.rfid.tag_price)
        + prices.rfid.tagging_labour_per_item
    )
