"""Ceiling cameras over the shelves: crops of the product in the shopper's hand at each event.

Each event is seen from `views_per_event` cameras. A view of a mixed grab shows one of the two
products; a false event (nothing moved) shows an empty hand. A hand-object detector says in each
usable view whether the hand holds a product, wrong with probability `p_holding_missed` (a
product it does not see) or `p_holding_false` (an empty hand it takes for a product: the crop
then shows a product stocked on that plate, behind the hand). The
crowd at the shelf at that moment raises the chance that another shopper blocks the view; the
rest of the nuisances (pose, blur, hand, resolution, noise) come from the vision render settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from toolkit.config import (
    AtLeastOne,
    NonNegative,
    Probability,
    Settings,
)
from toolkit.hypotheses import EventHypotheses
from toolkit.sensors.base import BaseSensor, Sensed, SensingContext
from toolkit.sensors.observations import CameraCrops, Presence, ShelfEvents, ShelfReaches
from toolkit.sensors.synthetic import SYNTHETIC_READINGS
from toolkit.shoppers import GroundTruth
from toolkit.vision.photo_store import PhotoStore, camera_source, photo_store, shown_crops
from toolkit.vision.render import SIZE, RenderParams, render
from toolkit.world import World

_CHUNK = 4096


class CameraParams(Settings):
    config_path: ClassVar[str] = "sensor.camera"

    views_per_event: AtLeastOne
    occlusion_per_other_shopper: Probability
    p_view_missing: Probability
    p_holding_missed: Probability
    p_holding_false: Probability
    p_reach_seen: Probability
    reach_time_noise_s: NonNegative
    false_reaches_per_shelf_hour: NonNegative


def observe_crops(
    world: World,
    truth: GroundTruth,
    events: ShelfEvents,
    source: np.ndarray,
    presence: Presence,
    render_params: RenderParams,
    params: CameraParams,
    rng: np.random.Generator,
    inter_event: np.ndarray | None = None,
    photos: PhotoStore | None = None,
) -> CameraCrops:
    """Crops (E, V, 3, S, S) uint8 of every detected event, rendered in batches (or, with a
    photo store, held-out real photos of the products through the camera model)."""
    n, views = events.n_events, params.views_per_event
    sku, _, _ = truth.event_truth(source, inter_event)
    n_lines = (sku >= 0).sum(axis=1)
    view = np.arange(views)[None, :]
    line = np.where(n_lines[:, None] > 0, view % np.maximum(n_lines[:, None], 1), 0)
    shown = np.take_along_axis(sku, line, axis=1)  # the product in the hand in each view (-1: none)
    visible = rng.random((n, views)) >= params.p_view_missing
    draw = rng.random((n, views))
    holding = np.where(shown >= 0, draw >= params.p_holding_missed, draw < params.p_holding_false)
    shown = np.where(shown >= 0, shown, _stocked_on(world, events.plate, views, rng))
    others = np.maximum((presence.candidate_visit >= 0).sum(axis=1) - 1, 0)
    blocked = np.clip(render_params.p_other_shopper + params.occlusion_per_other_shopper * others, 0.0, 0.95)
    flat_blocked = np.repeat(blocked, views)
    if photos is not None:
        size = photos.shown.images.shape[-1]
        flat_shown = shown.ravel()
        images = np.zeros((n * views, 3, size, size), dtype=np.uint8)
        for start in range(0, n * views, _CHUNK):
            part = slice(start, start + _CHUNK)
            crops = shown_crops(photos, flat_shown[part], flat_blocked[part], render_params, rng)
            images[part] = crops.mul_(255.0).round_().to(torch.uint8).numpy()
    else:
        size = SIZE
        table = torch.from_numpy(world.catalog.appearance.astype(np.float32))  # a copy: the world is locked
        flat_sku = torch.as_tensor(shown.ravel())
        generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
        images = np.zeros((n * views, 3, size, size), dtype=np.uint8)
        for start in range(0, n * views, _CHUNK):
            part = slice(start, start + _CHUNK)
            crops = render(
                table[flat_sku[part]],
                render_params,
                generator,
                torch.as_tensor(flat_blocked[part], dtype=torch.float32),
            )
            images[part] = crops.mul_(255.0).round_().to(torch.uint8).numpy()
    return CameraCrops(
        images=images.reshape(n, views, 3, size, size), visible=visible, holding=visible & holding
    )


def _stocked_on(world: World, plate: np.ndarray, views: int, rng: np.random.Generator) -> np.ndarray:
    """For each event's plate, `views` SKUs drawn from the slots of that plate (E, views)."""
    plano = world.planogram
    order = np.argsort(plano.slot_plate, kind="stable")
    first = np.searchsorted(plano.slot_plate[order], plate)
    n_slots = np.maximum(np.bincount(plano.slot_plate, minlength=plano.n_plates)[plate], 1)
    pick = first[:, None] + np.floor(rng.random((plate.size, views)) * n_slots[:, None]).astype(np.int64)
    return plano.slot_sku[order[np.minimum(pick, order.size - 1)]]


def observe_reaches(
    world: World, truth: GroundTruth, params: CameraParams, rng: np.random.Generator
) -> ShelfReaches:
    """Every hand that reaches into a slot (a take, a put-back, a reach into an empty slot) is seen
    with probability `p_reach_seen`, at its time give or take `reach_time_noise_s`; hands near a
    shelf that reach for nothing add false reaches at `false_reaches_per_shelf_hour`."""
    seen = rng.random(truth.inter_kind.size) < params.p_reach_seen
    plate = truth.inter_plate[seen]
    time = truth.inter_time_s[seen] + params.reach_time_noise_s * rng.standard_normal(plate.size)
    opening = float(truth.visit_arrival_s.min(initial=0.0))
    open_s = float(truth.visit_exit_s.max(initial=0.0)) - opening
    n_false = rng.poisson(params.false_reaches_per_shelf_hour * world.layout.n_shelves * open_s / 3600.0)
    plate = np.r_[plate, rng.integers(world.planogram.n_plates, size=n_false)]
    time = np.r_[time, opening + rng.uniform(0.0, open_s, n_false)]
    order = np.argsort(time, kind="stable")
    return ShelfReaches(
        time_s=time[order], shelf=world.planogram.plate_shelf[plate[order]], plate=plate[order]
    )


class ShelfCameras(BaseSensor):
    """The cameras over the shelves: per event, crops of the hand at the plate (rendered by the
    same renderer the CNN trains on, `render` = the `vision.render` section, or with
    `vision.source=photos` held-out real photos through the same camera model) and the hands seen
    reaching into slots. They are the ceiling cameras that follow shoppers, priced with them."""

    per_event = True

    def __init__(self, render: Mapping[str, Any], vision: Mapping[str, Any], **cfg: Any) -> None:
        self.params = CameraParams.from_config(cfg)
        self.render_params = RenderParams.from_config(render)
        self.source = camera_source(vision)

    def observe(self, ctx: SensingContext, rng: np.random.Generator) -> Sensed:
        photos = (
            photo_store(ctx.world.catalog.n_skus, self.source) if self.source.source == "photos" else None
        )
        crops = observe_crops(
            ctx.world,
            ctx.truth,
            ctx.events,
            ctx.source,
            ctx.presence,
            self.render_params,
            self.params,
            rng,
            ctx.inter_event,
            photos,
        )
        return Sensed(crops)

    def reaches(self, ctx: SensingContext, rng: np.random.Generator) -> ShelfReaches:
        """Hands seen reaching into a slot, whatever came back out."""
        return observe_reaches(ctx.world, ctx.truth, self.params, rng)

    def synthetic(
        self, world: World, hypotheses: EventHypotheses, rng: np.random.Generator, p_missing: float
    ) -> CameraCrops:
        return SYNTHETIC_READINGS["camera"](world, hypotheses, rng, p_missing)
