"""The photo-backed camera (vision.source=photos): real photos stand in for the catalog's SKUs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import compose_config
from PIL import Image

from toolkit.config import ConfigError
from toolkit.vision.photo_store import (
    camera_source,
    classifier_for_photos,
    photo_store,
    shown_crops,
    training_photos,
)
from toolkit.vision.render import RenderParams
from toolkit.vision.train import TrainParams


def write_classes(root: Path, n_classes: int, n_frames: int) -> None:
    """Class folders of flat-coloured crops named by frame number; every photo differs."""
    for c in range(n_classes):
        (root / f"p{c}").mkdir(parents=True)
        for frame in range(n_frames):
            pixel = np.array([40 + 50 * c, 8 * frame, 255 - 40 * c], dtype=np.uint8)
            Image.fromarray(np.tile(pixel, (24, 24, 1))).save(root / f"p{c}" / f"video{frame}.png")


def photos_config(folder: Path, *overrides: str):
    return compose_config(
        [
            "vision.source=photos",
            f"vision.photo_store.folder={folder}",
            "vision.photos.gap_frames=2",
            *overrides,
        ]
    )


def test_the_cameras_show_only_held_out_frames_of_each_skus_class(tmp_path):
    write_classes(tmp_path, 5, 20)
    cfg = photos_config(tmp_path)
    source = camera_source(cfg.vision)
    store = photo_store(4, source)
    assert len(store.training.classes) == 4
    learnt = set(store.training.fit.files) | set(store.training.calibrate.files)
    assert not learnt & set(store.shown.files)
    # a camera model that changes nothing: each crop must be one of its SKU's shown photos
    still = RenderParams(0.0, (1.0, 1.0), 0.0, (1.0, 1.0), 0, 0.0, 0.0, 0.0, 32)
    sku = np.array([0, 1, 2, 3, 3, 2])
    crops = shown_crops(store, sku, np.zeros(sku.size), still, np.random.default_rng(0))
    for crop, s in zip(crops, sku, strict=True):
        shown = store.shown.images[store.shown.labels == int(s)]
        trained = store.training.fit.images[store.training.fit.labels == int(s)]
        assert any(torch.allclose(crop, photo, atol=1e-6) for photo in shown)
        assert not any(torch.allclose(crop, photo, atol=1e-6) for photo in trained)


def test_a_classifier_trained_on_photos_recognises_the_shown_frames(tmp_path):
    write_classes(tmp_path, 4, 20)
    cfg = photos_config(tmp_path, "vision.photos.steps=60")
    source = camera_source(cfg.vision)
    photos = training_photos(4, source)
    render = RenderParams.from_config(cfg.vision.render)
    train = TrainParams.from_config(cfg.vision.train)
    classifier = classifier_for_photos(photos, source, render, train, tmp_path / "cache", progress=False)
    assert classifier.n_classes == 4
    store = photo_store(4, source)
    still = RenderParams(0.0, (1.0, 1.0), 0.0, (1.0, 1.0), 0, 0.0, 0.0, 0.0, 32)
    sku = store.shown.labels.numpy()
    crops = shown_crops(store, sku, np.zeros(sku.size), still, np.random.default_rng(0))
    predicted = classifier.log_probs(crops).argmax(dim=1).numpy()
    assert (predicted == sku).mean() > 0.5  # on the frames the cameras show; chance is 0.25
    again = classifier_for_photos(photos, source, render, train, tmp_path / "cache", progress=False)
    assert again.report == classifier.report  # from the cache


def test_a_catalog_larger_than_the_photo_classes_or_a_random_split_is_refused(tmp_path):
    write_classes(tmp_path, 3, 12)
    source = camera_source(photos_config(tmp_path).vision)
    with pytest.raises(ConfigError, match="the catalog has 5 SKUs"):
        photo_store(5, source)
    random = camera_source(photos_config(tmp_path, "vision.photos.split=random").vision)
    with pytest.raises(ConfigError, match="split=blocks"):
        photo_store(3, random)
    with pytest.raises(ConfigError, match=r"vision\.source"):
        camera_source(compose_config(["vision.source=photo"]).vision)


def test_the_temperature_frames_come_before_the_shown_frames_not_between_them(tmp_path):
    write_classes(tmp_path, 3, 30)
    store = photo_store(3, camera_source(photos_config(tmp_path).vision))
    for sku in range(3):
        calibrate = store.training.calibrate.frames[store.training.calibrate.labels == sku]
        shown = store.shown.frames[store.shown.labels == sku]
        trained = store.training.fit.frames[store.training.fit.labels == sku]
        assert calibrate.numel() and shown.numel()
        assert int(calibrate.max()) < int(shown.min())
        assert int(trained.max()) + 2 < int(calibrate.min())  # the gap (gap_frames=2) before the held block
