"""A photo-backed camera (`vision.source=photos`): real product photos stand in for the catalog.

With rendered crops the CNN is judged on drawings from the very renderer that trained it. Here
each catalog SKU is shown by one real product class of an image folder (GroZi-120 by default, a
seeded draw of as many classes as the catalog has SKUs), split by gapped frame blocks
(photos.py): the CNN trains on each class's first frames, its temperature is fitted on half of
the held-out block, and the store's cameras show the other half, all seen through the camera
model (render.degrade: resolution, occlusion by the hand and by the crowd, blur, light, noise).
Training applies the same camera model to its augmented photos, as the rendered path trains on
renders with the camera's nuisances: the designs' accuracy then comes from real pixels on photos
the CNN never saw.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch

from toolkit.config import ConfigError, Count, Settings
from toolkit.real_data import resolve_data_root
from toolkit.vision.datasets import Photos, load_photos
from toolkit.vision.photos import PhotoParams, split_photos, train_photo_classifier
from toolkit.vision.render import RenderParams, degrade
from toolkit.vision.train import (
    TrainedClassifier,
    TrainParams,
    cached_classifier,
    calibrate_and_score,
)

log = logging.getLogger(__name__)

SOURCES = ("render", "photos")


class PhotoStoreParams(Settings):
    """Which photos stand in for the catalog (`vision.photo_store`)."""

    config_path: ClassVar[str] = "vision.photo_store"

    folder: str  # an ImageFolder of real product photos; relative paths count from the repository
    seed: Count  # the draw of one photo class per SKU


class CameraSource(Settings):
    """What the cameras see and the CNN learns from: the renderer, or real photos."""

    config_path: ClassVar[str] = "vision"

    source: Literal[SOURCES]
    photos: PhotoParams
    photo_store: PhotoStoreParams


@dataclass(frozen=True)
class TrainingPhotos:
    """What the store's CNN may learn from: SKU k is photo class `classes[k]`; `fit` trains it,
    `calibrate` fits its temperature (labels are SKU indices)."""

    classes: list[str]
    fit: Photos
    calibrate: Photos


@dataclass(frozen=True)
class PhotoStore:
    """The store's photos: the training part, and `shown`, the held-out frames only the cameras
    show (never handed to a design)."""

    training: TrainingPhotos
    shown: Photos


def camera_source(node: Mapping[str, Any]) -> CameraSource:
    """The `vision` settings that say where crops come from (checked, one line on a bad value)."""
    return CameraSource.from_config(
        {key: node[key] for key in ("source", "photos", "photo_store")}, CameraSource.config_path
    )


def photo_store(n_skus: int, source: CameraSource) -> PhotoStore:
    """The store's photos for a catalog of `n_skus` SKUs (read once per process): for the cameras."""
    if source.photos.split != "blocks":
        raise ConfigError(
            f"vision.photos.split: the photo-backed camera needs split=blocks (held-out frames to show), "
            f"got {source.photos.split}"
        )
    folder = resolve_data_root(source.photo_store.folder)
    return _photo_store(n_skus, folder, source.photos, source.photo_store.seed)


@functools.lru_cache(maxsize=4)
def _photo_store(n_skus: int, folder: Path, params: PhotoParams, seed: int) -> PhotoStore:
    if not folder.is_dir():
        raise FileNotFoundError(f"vision.photo_store.folder: {folder}: no such folder of photos")
    available = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if n_skus > len(available):
        raise ConfigError(
            f"vision.source=photos: the catalog has {n_skus} SKUs, {folder} only {len(available)} classes"
        )
    chosen = np.random.default_rng(seed).choice(len(available), n_skus, replace=False)
    photos = load_photos(folder, params.input_size, [available[i] for i in chosen])
    split = split_photos(photos, params, seed)
    log.info("photo-backed cameras: %d SKUs shown by classes of %s", n_skus, folder)
    return PhotoStore(TrainingPhotos(photos.classes, split.fit, split.calibrate), split.test)


def training_photos(n_skus: int, source: CameraSource) -> TrainingPhotos:
    """The photos a design's CNN may learn from (the training and calibration frames only)."""
    return photo_store(n_skus, source).training


def shown_crops(
    store: PhotoStore, sku: np.ndarray, blocked: np.ndarray, render: RenderParams, rng: np.random.Generator
) -> torch.Tensor:
    """One held-out photo of each SKU in `sku` (drawn at random among its class's), through the
    camera model with each view's chance of being blocked by the crowd: (N, 3, S, S) in [0, 1]."""
    labels = store.shown.labels.numpy()
    order = np.argsort(labels, kind="stable")
    first = np.searchsorted(labels[order], sku)
    count = np.bincount(labels, minlength=len(store.training.classes))[sku]
    pick = order[first + np.floor(rng.random(sku.size) * count).astype(np.int64)]
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    images = store.shown.images[torch.from_numpy(pick)]
    p_blocked = torch.as_tensor(blocked, dtype=torch.float32)
    return degrade(images, render, generator, p_blocked, size=store.shown.images.shape[-1])


def _cache_key(photos: TrainingPhotos, source: CameraSource, render: RenderParams, train: TrainParams) -> str:
    """A hash of the pixels and labels trained and calibrated on, and of every setting."""
    digest = hashlib.sha256("\n".join(photos.classes).encode())
    for part in (photos.fit, photos.calibrate):
        digest.update(part.images.numpy().tobytes())
        digest.update(part.labels.numpy().tobytes())
    settings = [source.photos.model_dump(), render.model_dump(), train.model_dump()]
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:24]


def classifier_for_photos(
    photos: TrainingPhotos,
    source: CameraSource,
    render: RenderParams,
    train: TrainParams,
    cache_dir: Path | None,
    progress: bool = True,
) -> TrainedClassifier:
    """The CNN for the photo-backed store: trained on the training frames, each augmented and seen
    through the camera model afresh every step, temperature on the calibration frames through the
    same camera model; cached like the rendered one. Its report holds the temperature and the
    accuracy, NLL and ECE on the calibration frames (the frames the cameras show are scored by
    train_vision.py and the grozi check, never here)."""
    n_classes = len(photos.classes)

    def make() -> TrainedClassifier:
        size = source.photos.input_size
        camera = torch.Generator().manual_seed(train.seed)
        model = train_photo_classifier(
            photos.fit,
            train,
            source.photos,
            progress,
            lambda batch: degrade(batch, render, camera, size=size),
        )
        held = torch.Generator().manual_seed(train.seed + 1)
        seen = "calibration frames through the camera model"
        calibration = (degrade(photos.calibrate.images, render, held, size=size), photos.calibrate.labels)
        report = calibrate_and_score(model, calibration, calibration, "calibration", seen, seen)
        return TrainedClassifier(model, train.model, n_classes, report["calibration_temperature"], report)

    name = f"vision-photos-{_cache_key(photos, source, render, train)}"
    return cached_classifier(name, n_classes, cache_dir, make)
