"""Synthetic product crops, rendered in batches with torch: what a ceiling camera sees in a hand.

Each SKU's packaging is drawn procedurally from its catalog appearance (shape, two colours, a
logo, stripes, and a small patch: look-alike variants share everything but the patch's colour).
Every pixel is evaluated in the package's own coordinates, so pose is an inverse affine map of the
sampling grid, not a resampled texture. Domain randomisation (Tobin et al. 2017): rotation, scale,
shift, lighting, motion blur, occlusion by the hand and by other shoppers, sensor noise, and the
camera's resolution (rendered small, then scaled up).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, ClassVar

import numpy as np
import torch
from pydantic import AfterValidator, Field

from toolkit.config import (
    NonNegative,
    Positive,
    Probability,
    Real,
    Settings,
    Whole,
)
from toolkit.world import APPEARANCE_FIELDS

SIZE = 32  # crops are SIZE × SIZE RGB
_FIELD = {name: i for i, name in enumerate(APPEARANCE_FIELDS)}
# superellipse half-widths and exponent of the four package shapes: box, bottle, can, bag
_SHAPES = torch.tensor([[0.55, 0.80, 8.0], [0.33, 0.85, 2.0], [0.45, 0.70, 4.0], [0.62, 0.75, 2.5]])


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[0] > pair[1]:
        raise ValueError("expected [low, high] with low <= high")
    return pair


Range = Annotated[tuple[Positive, Positive], AfterValidator(_ordered)]


class RenderParams(Settings):
    """Nuisances of one camera view; `clean()` is the studio shot used to measure pure recognition."""

    config_path: ClassVar[str] = "vision.render"

    max_rotation_deg: Annotated[Real, Field(ge=0.0, le=180.0)]
    scale_range: Range
    max_shift: Annotated[Real, Field(ge=0.0, le=1.0)]
    brightness_range: Range
    max_blur_px: Annotated[Whole, Field(ge=0, le=SIZE // 2)]
    p_hand: Probability
    p_other_shopper: Probability
    noise_sd: NonNegative
    resolution_px: Annotated[Whole, Field(ge=4, le=SIZE)]

    def clean(self) -> RenderParams:
        return RenderParams(5.0, (0.95, 1.05), 0.03, (0.95, 1.05), 0, 0.0, 0.0, 0.0, SIZE)

    def undegraded(self) -> RenderParams:
        """The same poses and light without the camera's degradations (`degrade`'s occlusion, blur,
        resolution and noise): views to train on when a test is to judge those degradations."""
        return RenderParams(
            **{
                **self.__dict__,
                "max_blur_px": 0,
                "p_hand": 0.0,
                "p_other_shopper": 0.0,
                "noise_sd": 0.0,
                "resolution_px": SIZE,
            }
        )

    def with_crowding(self, p_other_shopper: float) -> RenderParams:
        return RenderParams(**{**self.__dict__, "p_other_shopper": float(p_other_shopper)})


def _hsv(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """HSV in [0, 1] to RGB (..., 3)."""
    k = (
        torch.stack([torch.full_like(h, 5.0), torch.full_like(h, 3.0), torch.full_like(h, 1.0)], -1)
        + h[..., None] * 6.0
    ) % 6.0
    return v[..., None] - v[..., None] * s[..., None] * torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)


# Views whose pixels are computed at once. A batch's random draws are made first, in the order they
# always were, but for the sensor noise, the last draw, which each slice takes in turn. torch's
# normal stream is then the one a single draw gives as long as every slice but the last holds a
# multiple of 16 values (it fills blocks of 16), hence a multiple of 16 views whatever the crop
# size (tests/test_vision.py). A view's pixels depend only on its own draws, so they are the same
# bits at any such slice size. Slices of 256 kept a 4,096-view batch's temporaries under 0.1 GiB
# (0.4-0.5 whole) and were a third faster.
_VIEWS_AT_ONCE = 256


@dataclass(frozen=True)
class _Occlusion:
    """Per view: whether an ellipse covers part of it, its centre and radius."""

    on: torch.Tensor
    centre: torch.Tensor
    radius: torch.Tensor

    @classmethod
    def draw(cls, b: int, p: float | torch.Tensor, radius: float, g: torch.Generator) -> _Occlusion:
        on = torch.rand(b, generator=g) < p
        centre = torch.rand(b, 2, generator=g) * 1.6 - 0.8
        return cls(on, centre, radius * (0.6 + 0.8 * torch.rand(b, generator=g)))

    def rows(self, sl: slice) -> _Occlusion:
        return _Occlusion(self.on[sl], self.centre[sl], self.radius[sl])


@dataclass(frozen=True)
class _CameraDraws:
    """The camera's random draws for a batch of views, in `degrade`'s order, but for the noise
    (drawn slice by slice, last)."""

    hand: _Occlusion
    other: _Occlusion
    brightness: torch.Tensor
    blur: torch.Tensor | None
    generator: torch.Generator

    @classmethod
    def draw(
        cls, b: int, params: RenderParams, g: torch.Generator, blocked: float | torch.Tensor
    ) -> _CameraDraws:
        hand = _Occlusion.draw(b, params.p_hand, 0.35, g)
        other = _Occlusion.draw(b, blocked, 0.55, g)
        low, high = params.brightness_range
        brightness = low + (high - low) * torch.rand(b, generator=g)
        blur = torch.randint(0, params.max_blur_px + 1, (b,), generator=g) if params.max_blur_px > 0 else None
        return cls(hand, other, brightness, blur, g)

    def rows(self, sl: slice) -> _CameraDraws:
        blur = None if self.blur is None else self.blur[sl]
        return _CameraDraws(
            self.hand.rows(sl), self.other.rows(sl), self.brightness[sl], blur, self.generator
        )


def _in_slices(b: int, size: int, views: Callable[[slice], torch.Tensor]) -> torch.Tensor:
    """(B, 3, size, size) filled `_VIEWS_AT_ONCE` views at a time by `views(slice)`."""
    assert _VIEWS_AT_ONCE % 16 == 0, "the sensor noise's stream needs slices of 16k views"
    out = torch.empty(b, 3, size, size)
    for start in range(0, b, _VIEWS_AT_ONCE):
        sl = slice(start, start + _VIEWS_AT_ONCE)
        out[sl] = views(sl)
    return out


def render(
    appearance: torch.Tensor,
    params: RenderParams,
    generator: torch.Generator,
    p_other_shopper: torch.Tensor | None = None,
) -> torch.Tensor:
    """Crops (B, 3, SIZE, SIZE) in [0, 1] of products with the given appearance rows (B, A).
    `p_other_shopper` (B,) optionally sets each view's chance of being blocked by another shopper
    (crowding at that moment) instead of `params.p_other_shopper`."""
    b, g = appearance.shape[0], generator
    angle = torch.deg2rad(_uniform(g, -params.max_rotation_deg, params.max_rotation_deg, b))
    scale = _uniform(g, *params.scale_range, b)
    shift = _uniform(g, -params.max_shift, params.max_shift, b, 2)
    background = torch.rand(b, 3, 1, 1, generator=g) * 0.3 + 0.35
    blocked = params.p_other_shopper if p_other_shopper is None else p_other_shopper
    camera = _CameraDraws.draw(b, params, g, blocked)
    pose = (angle, scale, shift, background)
    return _in_slices(
        b,
        SIZE,
        lambda sl: _apply_camera(
            _draw_products(appearance[sl], *(d[sl] for d in pose), params.resolution_px),
            params,
            camera.rows(sl),
            SIZE,
        ),
    )


def _uniform(g: torch.Generator, low: float, high: float, *shape: int) -> torch.Tensor:
    return low + (high - low) * torch.rand(*shape, generator=g)


def _draw_products(
    appearance: torch.Tensor,
    angle: torch.Tensor,
    scale: torch.Tensor,
    shift: torch.Tensor,
    background: torch.Tensor,
    res: int,
) -> torch.Tensor:
    """Views (B, 3, res, res) of packages with these appearances, in these poses, on these backgrounds."""
    b = appearance.shape[0]
    axis = (torch.arange(res, dtype=torch.float32) + 0.5) / res * 2.0 - 1.0
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    xs, ys = x[None] - shift[:, 0, None, None], y[None] - shift[:, 1, None, None]
    u = (cos * xs + sin * ys) / scale[:, None, None]  # package coordinates of every pixel
    v = (-sin * xs + cos * ys) / scale[:, None, None]

    a = appearance.float()
    shape = _SHAPES[torch.clamp((a[:, _FIELD["shape"]] * 4).long(), 0, 3)]
    half_w, half_h, power = (shape[:, i, None, None] for i in range(3))
    body = (u.abs() / half_w) ** power + (v.abs() / half_h) ** power <= 1.0
    primary = _hsv(
        a[:, _FIELD["hue_primary"]], torch.full((b,), 0.75), 0.45 + 0.45 * a[:, _FIELD["lightness"]]
    )
    secondary = _hsv(
        a[:, _FIELD["hue_secondary"]], torch.full((b,), 0.6), 1.0 - 0.5 * a[:, _FIELD["lightness"]]
    )
    patch_colour = _hsv(a[:, _FIELD["patch_hue"]], torch.ones(b), torch.ones(b))
    frequency = 2.0 + 6.0 * a[:, _FIELD["band_pattern"], None, None]
    bands = torch.sin(v * frequency * np.pi) > 0.55
    logo_y = 0.4 * (a[:, _FIELD["logo"], None, None] - 0.5)
    logo = (u**2 + (v - logo_y) ** 2) < 0.18**2
    patch = ((u - 0.22).abs() < 0.17) & ((v + 0.5).abs() < 0.15)

    image = background + torch.zeros(b, 3, res, res)
    for mask, colour in (
        (body, primary),
        (body & bands, secondary),
        (body & logo, 1.0 - secondary),
        (body & patch, patch_colour),
    ):
        image = torch.where(mask[:, None], colour[:, :, None, None], image)
    return image


def degrade(
    images: torch.Tensor,
    params: RenderParams,
    generator: torch.Generator,
    p_other_shopper: torch.Tensor | None = None,
    size: int = SIZE,
) -> torch.Tensor:
    """The camera's degradations of product views (B, 3, H, W) in [0, 1]: brought to
    `params.resolution_px` across, occluded by a hand and by other shoppers, dimmed or brightened,
    motion-blurred, scaled up to `size` and given sensor noise. `render` applies them to its
    drawings; applied to real photo crops they give the views the camera model says a store's
    cameras deliver, one source for both (the same draws in the same order)."""
    b = images.shape[0]
    blocked = params.p_other_shopper if p_other_shopper is None else p_other_shopper
    camera = _CameraDraws.draw(b, params, generator, blocked)
    return _in_slices(b, size, lambda sl: _apply_camera(images[sl], params, camera.rows(sl), size))


def _apply_camera(
    images: torch.Tensor, params: RenderParams, camera: _CameraDraws, size: int
) -> torch.Tensor:
    """`degrade`'s degradations of views (B, 3, H, W), given the camera's draws for them."""
    res = params.resolution_px
    if images.shape[-2:] != (res, res):
        images = torch.nn.functional.interpolate(images, size=(res, res), mode="area")
    axis = (torch.arange(res, dtype=torch.float32) + 0.5) / res * 2.0 - 1.0
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    image = _occlude(images, x, y, camera.hand, torch.tensor([0.85, 0.65, 0.5]))
    image = _occlude(image, x, y, camera.other, torch.tensor([0.15, 0.15, 0.2]))
    image = image * camera.brightness[:, None, None, None]
    if camera.blur is not None:
        image = _motion_blur(image, camera.blur)
    if res != size:
        # channels-last: the CPU kernel vectorises over the three colours of a pixel and took a
        # quarter of the time of the NCHW one for the same bits (tests/test_vision.py)
        image = torch.nn.functional.interpolate(
            image.contiguous(memory_format=torch.channels_last),
            size=(size, size),
            mode="bilinear",
            align_corners=False,
        ).contiguous()
    image = image + params.noise_sd * torch.randn(image.shape, generator=camera.generator)
    return image.clamp(0.0, 1.0)


def _occlude(
    image: torch.Tensor, x: torch.Tensor, y: torch.Tensor, occlusion: _Occlusion, colour: torch.Tensor
) -> torch.Tensor:
    """Where drawn, an ellipse of `colour` (a hand, another shopper) over part of each view."""
    centre, r = occlusion.centre, occlusion.radius
    inside = ((x[None] - centre[:, 0, None, None]) ** 2 + (y[None] - centre[:, 1, None, None]) ** 2 * 1.8) < (
        r[:, None, None] ** 2
    )
    return torch.where((inside & occlusion.on[:, None, None])[:, None], colour[None, :, None, None], image)


def _motion_blur(image: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
    """Average each image over `length` horizontal one-pixel shifts (its own length per image).
    Each shift is added to the images it moves only. Adding it times zero to the others, as
    before, left their pixels as they were: a view's pixels are finite and none is -0.0 (a
    drawing's non-negative colours times a positive brightness), and there x + 0·y is x."""
    out = image.clone()
    count = torch.ones(image.shape[0])
    for step in range(1, int(length.max()) + 1):
        active = length >= step
        moving = torch.nonzero(active).squeeze(1)
        out[moving] = out[moving] + torch.roll(image[moving], shifts=step, dims=3)
        count = count + active.float()
    return out / count[:, None, None, None]
