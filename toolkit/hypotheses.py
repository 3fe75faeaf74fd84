"""What a shelf event could have been: (sku, signed count) lines, one or two per hypothesis.

A hypothesis is up to two lines ``(sku, count)``; count > 0 is a take, count < 0 a put-back,
and an unused second line is ``(-1, 0)``. Candidates for an event on plate p:

* single SKUs on the plate and elsewhere on its shelf, counts 1..max_count, both directions;
* mixed grabs of two SKUs on the plate, counts 1..mixed_max_count each, both directions;
* the misplaced-item floor: a put-back of one unit of an item stocked on another shelf. It is
  not enumerated here but per event by the systems (toolkit.carts.misplaced_floor), from the
  items the shoppers at the shelf carry: only someone holding a product can put it down, and a
  floor of every foreign SKU would grow with the catalog;
* the null hypothesis: no product moved (a false event: a hand pressing on the shelf).

Lines are kept canonical (SKUs ascending, the unused line last) so that two decisions are equal
exactly when their line arrays are equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any, ClassVar

import numpy as np

from toolkit.config import AtLeastOne, Count, Flag, Settings
from toolkit.world import World

FORM_ON_PLATE, FORM_ON_SHELF, FORM_MIXED, FORM_MISPLACED, FORM_NULL = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class EventHypotheses:
    """The hypotheses of a batch of E events, padded to H: sku, count (E, H, 2); valid, form (E, H)."""

    sku: np.ndarray
    count: np.ndarray
    valid: np.ndarray
    form: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.valid.shape


@dataclass(frozen=True)
class HypothesisSpace:
    """Hypotheses per plate, padded to a common H (invalid cells masked), and whether systems add
    the per-event misplaced-item floor."""

    sku: np.ndarray  # (n_plates, H, 2)
    count: np.ndarray  # (n_plates, H, 2)
    valid: np.ndarray  # (n_plates, H)
    form: np.ndarray  # (n_plates, H)
    misplaced_floor: bool = True

    def per_plate(self) -> EventHypotheses:
        """Every plate's hypotheses, one row per plate (the space's own arrays, not copied)."""
        return EventHypotheses(self.sku, self.count, self.valid, self.form)

    def for_plates(self, plates: np.ndarray) -> EventHypotheses:
        """Gather the hypotheses of events on the given plates (read-only views)."""
        arrays = [a[plates] for a in (self.sku, self.count, self.valid, self.form)]
        for a in arrays:
            a.flags.writeable = False
        return EventHypotheses(*arrays)


def _singles(skus: np.ndarray, max_count: int, signs: tuple[int, ...]) -> np.ndarray:
    """(n, 2, 2) array of (sku, count) line pairs for every sku × sign × count."""
    counts = np.arange(1, max_count + 1)
    s, sign, c = np.meshgrid(skus, np.array(signs), counts, indexing="ij")
    out = np.zeros((s.size, 2, 2), dtype=np.int64)
    out[:, 0, 0] = s.ravel()
    out[:, 0, 1] = (sign * c).ravel()
    out[:, 1, 0] = -1
    return out


def _pairs(skus: np.ndarray, max_count: int) -> np.ndarray:
    pairs = np.array(list(combinations(np.sort(skus), 2)), dtype=np.int64).reshape(-1, 2)
    counts = np.arange(1, max_count + 1)
    rows = []
    for sign in (1, -1):
        p, c1, c2 = np.meshgrid(np.arange(len(pairs)), counts, counts, indexing="ij")
        block = np.zeros((p.size, 2, 2), dtype=np.int64)
        block[:, :, 0] = pairs[p.ravel()]
        block[:, 0, 1] = sign * c1.ravel()
        block[:, 1, 1] = sign * c2.ravel()
        rows.append(block)
    return np.concatenate(rows) if rows else np.zeros((0, 2, 2), dtype=np.int64)


class HypothesisSettings(Settings):
    """The `hypotheses` section: what every recognizer scores for a shelf event."""

    config_path: ClassVar[str] = "hypotheses"

    max_count: AtLeastOne  # units per take a design considers
    mixed_max_count: Count  # units per SKU in a mixed grab of two SKUs (0: no mixed grabs)
    misplaced_floor: Flag  # put-backs of items the shoppers at the shelf carry
    null_hypothesis: Flag  # "no product moved": the answer to a false event


def build_hypothesis_space(world: World, cfg: Mapping[str, Any]) -> HypothesisSpace:
    """Enumerate each plate's hypotheses from the planogram (never from what shoppers did)."""
    settings = HypothesisSettings.from_config(cfg)
    max_count, mixed_max = settings.max_count, settings.mixed_max_count
    misplaced, null = settings.misplaced_floor, settings.null_hypothesis
    plano = world.planogram
    all_skus = np.arange(world.catalog.n_skus)
    sku_shelf = plano.sku_shelf
    per_plate: list[tuple[np.ndarray, np.ndarray]] = []
    for plate in range(plano.n_plates):
        shelf = plano.plate_shelf[plate]
        on_plate = np.sort(plano.skus_on_plate(plate))
        on_shelf = all_skus[(sku_shelf == shelf) & ~np.isin(all_skus, on_plate)]
        blocks = [_singles(on_plate, max_count, (1, -1)), _singles(on_shelf, max_count, (1, -1))]
        forms = [np.full(len(blocks[0]), FORM_ON_PLATE), np.full(len(blocks[1]), FORM_ON_SHELF)]
        if mixed_max > 0:
            blocks.append(_pairs(on_plate, mixed_max))
            forms.append(np.full(len(blocks[-1]), FORM_MIXED))
        if null:
            blocks.append(np.array([[[-1, 0], [-1, 0]]], dtype=np.int64))
            forms.append(np.array([FORM_NULL]))
        per_plate.append((np.concatenate(blocks), np.concatenate(forms)))

    width = max(len(k) for _, k in per_plate)
    n_plates = plano.n_plates
    sku = np.full((n_plates, width, 2), -1, dtype=np.int64)
    count = np.zeros((n_plates, width, 2), dtype=np.int64)
    valid = np.zeros((n_plates, width), dtype=bool)
    form = np.full((n_plates, width), -1, dtype=np.int8)
    for plate, (lines, forms) in enumerate(per_plate):
        n = len(forms)
        sku[plate, :n] = lines[:, :, 0]
        count[plate, :n] = lines[:, :, 1]
        valid[plate, :n] = True
        form[plate, :n] = forms
    return HypothesisSpace(sku=sku, count=count, valid=valid, form=form, misplaced_floor=misplaced)


def join_hypotheses(first: EventHypotheses, second: EventHypotheses) -> EventHypotheses:
    """The hypotheses of both sets side by side (E, H1 + H2), read-only like `for_plates`'s."""
    arrays = [
        np.concatenate([a, b], axis=1)
        for a, b in zip(
            (first.sku, first.count, first.valid, first.form),
            (second.sku, second.count, second.valid, second.form),
            strict=True,
        )
    ]
    for a in arrays:
        a.flags.writeable = False
    return EventHypotheses(*arrays)


def canonical_lines(sku: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order two-line decisions (..., 2) canonically: zero-count lines become (-1, 0) and go last,
    lines of one SKU merge, and the remaining lines sort by SKU."""
    sku = np.where(count == 0, -1, sku)
    same = (sku[..., 0] == sku[..., 1]) & (sku[..., 0] >= 0)
    count = count.copy()
    count[..., 0] = np.where(same, count[..., 0] + count[..., 1], count[..., 0])
    count[..., 1] = np.where(same, 0, count[..., 1])
    sku = np.where(count == 0, -1, sku)
    key = np.where(sku < 0, np.iinfo(np.int64).max, sku)
    order = np.argsort(key, axis=-1, kind="stable")
    return np.take_along_axis(sku, order, -1), np.take_along_axis(count, order, -1)
