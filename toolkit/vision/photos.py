"""The product classifier on real photos: an honest split, augmentation for photos, and the score
on clean held-out photos and on the same photos seen through the camera model.

A random split of video crops leaks near-duplicate frames (splits.py), so the default holds out
each class's last frames behind a gap. Training photos are augmented afresh every step; the test
is scored twice: as photographed, and degraded by the camera model's occlusion, blur, resolution,
lighting and noise (render.degrade), which training never sees. Each score has its temperature
fitted on held-out photos of its own distribution (degraded the same way for the camera score).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

import torch
from pydantic import AfterValidator, Field, model_validator
from torch import nn

from toolkit.config import AtLeastOne, Count, Probability, Real, Settings, Whole
from toolkit.vision.datasets import Photos
from toolkit.vision.render import RenderParams, degrade
from toolkit.vision.splits import block_split, random_split
from toolkit.vision.train import TrainParams, calibrate_and_score, train_classifier


def _share_range(pair: tuple[float, float]) -> tuple[float, float]:
    if not 0.0 < pair[0] <= pair[1]:
        raise ValueError("expected [low, high] with 0 < low <= high <= 1")
    return pair


class AugmentParams(Settings):
    """Augmentation of training photos (torchvision.transforms.v2), drawn afresh for every photo
    of every minibatch. No horizontal flip: packaging carries text and logos, and a mirrored pack
    is a view no camera sees (and flips look-alike layouts into each other). No hue shift: the
    colour of a pack is often what tells two flavours apart."""

    config_path: ClassVar[str] = "vision.photos.augment"

    crop_scale: Annotated[tuple[Probability, Probability], AfterValidator(_share_range)]
    max_rotation_deg: Annotated[Real, Field(ge=0.0, le=45.0)]
    brightness: Probability
    contrast: Probability
    saturation: Probability


class PhotoParams(Settings):
    """How photos are split, sized and augmented; see configs/vision/default.yaml."""

    config_path: ClassVar[str] = "vision.photos"

    split: Literal["blocks", "folder", "random"]
    holdout_share: Annotated[Real, Field(gt=0.0, lt=1.0)]
    gap_frames: Count
    test_folder: str | None
    input_size: Annotated[Whole, Field(ge=8, le=256)]
    steps: AtLeastOne
    augment: AugmentParams

    @model_validator(mode="after")
    def _test_folder_with_folder_split(self) -> PhotoParams:
        if self.split == "folder" and not self.test_folder:
            raise ValueError("test_folder: needed with split=folder (a folder of test photos, same classes)")
        if self.split != "folder" and self.test_folder:
            raise ValueError(f"test_folder: only read with split=folder, not split={self.split}")
        return self


def photo_augment(params: AugmentParams, size: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """A minibatch transform: each photo gets its own random crop (area share `crop_scale`, aspect
    3:4 to 4:3, resized to size × size), rotation and brightness, contrast and saturation."""
    from torchvision.transforms import v2  # here: a store-day without photos never needs torchvision

    transform = v2.Compose(
        [
            v2.RandomResizedCrop(size, scale=params.crop_scale, ratio=(3 / 4, 4 / 3), antialias=True),
            v2.RandomRotation(params.max_rotation_deg),
            v2.ColorJitter(params.brightness, params.contrast, params.saturation),
        ]
    )
    return lambda batch: torch.stack([transform(image) for image in batch])


@dataclass(frozen=True)
class PhotoSplit:
    """Photos to train on, to fit the temperature on and to test on, and what each held-out part is
    drawn from (calibrated_on == tested_on: the same distribution)."""

    fit: Photos
    calibrate: Photos
    test: Photos
    calibrated_on: str
    tested_on: str


def split_photos(
    photos: Photos, params: PhotoParams, seed: int, test_photos: Photos | None = None
) -> PhotoSplit:
    """blocks: each class's last frames held out behind a gap of `gap_frames`, the first half of
    them fitting the temperature and the second testing; folder: all of `photos` but a last block
    (for the temperature) trains, `test_photos` test; random: a seeded random hold-out (warns:
    near-duplicates leak)."""
    if params.split == "random":
        split = random_split(photos.labels.numel(), params.holdout_share, seed)
        held = "random held-out photos"
        return PhotoSplit(*(photos.subset(i) for i in split), held, held)
    with_test = params.split == "blocks"
    split = block_split(
        photos.labels, photos.frames, params.holdout_share, params.gap_frames, photos.classes, with_test
    )
    if with_test:
        held = "the held-out frame blocks"
        return PhotoSplit(*(photos.subset(i) for i in split), held, held)
    if test_photos is None:
        raise ValueError("split=folder: no test photos given (vision.photos.test_folder)")
    if test_photos.classes != photos.classes:
        odd = sorted(set(test_photos.classes) ^ set(photos.classes))
        raise ValueError(
            f"{params.test_folder}: its classes differ from the training folder's: {', '.join(odd)}"
        )
    return PhotoSplit(
        photos.subset(split.fit),
        photos.subset(split.calibrate),
        test_photos,
        "the last frame block of the training folder",
        f"the test folder {params.test_folder}",
    )


def train_photo_classifier(
    fit: Photos,
    train: TrainParams,
    params: PhotoParams,
    progress: bool = True,
    then: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> nn.Module:
    """The `train` recipe (its model, batch, learning rate and seed) for `params.steps` steps on the
    training photos, augmented afresh every step (and passed through `then`, e.g. the camera model)."""
    recipe = train.model_copy(update={"steps": params.steps})
    augment = photo_augment(params.augment, params.input_size)
    transform = augment if then is None else (lambda batch: then(augment(batch)))
    return train_classifier(fit.images, fit.labels, len(fit.classes), recipe, progress, transform)


def through_camera(
    parts: tuple[torch.Tensor, ...], camera: RenderParams, seed: int, size: int
) -> tuple[torch.Tensor, ...]:
    """Photos as the camera model delivers them (render.degrade), each part with its own draws
    from one seeded stream: held-out photos degraded the same way for temperature and test."""
    generator = torch.Generator().manual_seed(seed)
    return tuple(degrade(images, camera, generator, size=size) for images in parts)


def train_on_photos(
    photos: Photos,
    train: TrainParams,
    params: PhotoParams,
    camera: RenderParams,
    test_photos: Photos | None = None,
    progress: bool = True,
) -> dict[str, float]:
    """Train on the split's training photos and report accuracy, NLL and ECE, raw and with the
    temperature, on the clean test photos (`heldout_*`) and on them through the camera model
    (`camera_*`), with the photo counts."""
    split = split_photos(photos, params, train.seed, test_photos)
    model = train_photo_classifier(split.fit, train, params, progress)
    cal, test = split.calibrate, split.test
    report = {
        "n_fit": split.fit.labels.numel(),
        "n_calibrate": cal.labels.numel(),
        "n_test": test.labels.numel(),
    }
    report.update(
        calibrate_and_score(
            model,
            (cal.images, cal.labels),
            (test.images, test.labels),
            "heldout",
            split.calibrated_on,
            split.tested_on,
        )
    )
    cal_seen, test_seen = through_camera((cal.images, test.images), camera, train.seed, params.input_size)
    through = " through the camera model"
    report.update(
        calibrate_and_score(
            model,
            (cal_seen, cal.labels),
            (test_seen, test.labels),
            "camera",
            split.calibrated_on + through,
            split.tested_on + through,
        )
    )
    return report
