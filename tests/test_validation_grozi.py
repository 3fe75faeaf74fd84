"""The GroZi-120 check (toolkit/validation/grozi.py) and the photo splits under it: the block split
keeps its gap, a random split warns, a temperature fitted on another distribution warns, a tiny
slice of the real photos gives finite rows and figures, bad settings are one line."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf
from PIL import Image

from toolkit.config import ConfigError, build_from_config
from toolkit.vision.datasets import load_photos
from toolkit.vision.photos import PhotoParams, split_photos, train_on_photos
from toolkit.vision.render import RenderParams
from toolkit.vision.splits import block_split
from toolkit.vision.train import TrainParams

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "configs"
DATA = Path(os.environ.get("CHECKOUT_LAB_DATA", ROOT.parent / "shared" / "data"))
QUICK = TrainParams(
    "small_cnn", steps=20, batch=16, learning_rate=5e-3, train_per_class=1, holdout_per_class=1, seed=0
)


def composed(config: str, *overrides: str) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=config, overrides=list(overrides))


def photo_params(**changes: object) -> PhotoParams:
    node = OmegaConf.to_container(composed("train_vision").vision.photos)
    return PhotoParams.from_config({**node, **changes})


def write_video_crops(root: Path, frames: dict[str, list[int]]) -> None:
    """One folder per class of `videoN.jpg` crops: a colour per class, drifting with the frame."""
    for c, (name, numbers) in enumerate(frames.items()):
        (root / name).mkdir(parents=True)
        for n in numbers:
            pixel = np.array([60 * c + 40, 200 - 50 * c, (3 * n) % 255], dtype=np.uint8)
            Image.fromarray(np.tile(pixel, (20, 12, 1))).save(root / name / f"video{n}.jpg")


def test_the_block_split_never_puts_a_held_out_frame_within_the_gap_of_a_training_frame(tmp_path):
    rng = np.random.default_rng(0)
    frames = {
        name: sorted(rng.choice(120, size=int(rng.integers(15, 40)), replace=False) + 1) for name in "abc"
    }
    write_video_crops(tmp_path, frames)
    photos = load_photos(tmp_path, 16)
    assert sorted(photos.frames[photos.labels == 0].tolist()) == frames["a"]
    for gap in (0, 3, 7):
        split = block_split(photos.labels, photos.frames, 0.3, gap, photos.classes)
        parts = [set(part.tolist()) for part in split]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        for c in range(3):
            fit = photos.frames[split.fit][photos.labels[split.fit] == c]
            for held in (split.calibrate, split.test):
                held_frames = photos.frames[held][photos.labels[held] == c]
                assert held_frames.numel() > 0 and fit.numel() > 0
                assert (held_frames[:, None] - fit[None, :]).abs().min() > gap
    with pytest.raises(ValueError, match=r"class a: .* lower gap_frames"):
        block_split(photos.labels, photos.frames, 0.3, 200, photos.classes)


def test_a_random_split_warns_that_near_duplicates_leak(tmp_path):
    write_video_crops(tmp_path, {"a": list(range(1, 11)), "b": list(range(1, 11))})
    photos = load_photos(tmp_path, 16)
    with pytest.warns(UserWarning, match="near-duplicates"):
        split = split_photos(photos, photo_params(split="random"), 0)
    assert split.calibrated_on == split.tested_on


def test_a_temperature_from_another_folder_warns_and_both_scores_are_reported(tmp_path):
    write_video_crops(tmp_path / "train", {"a": list(range(1, 21)), "b": list(range(1, 21))})
    write_video_crops(tmp_path / "test", {"a": list(range(50, 56)), "b": list(range(50, 56))})
    params = photo_params(split="folder", test_folder=str(tmp_path / "test"), input_size=16, steps=20)
    camera = RenderParams.from_config(composed("train_vision").vision.render)
    photos, tests = load_photos(tmp_path / "train", 16), load_photos(tmp_path / "test", 16)
    with pytest.warns(UserWarning, match="temperature fitted on the last frame block of the training folder"):
        report = train_on_photos(photos, QUICK, params, camera, tests, progress=False)
    assert report["n_test"] == 12
    for split in ("heldout", "camera"):
        assert 0.0 <= report[f"{split}_calibrated_accuracy"] <= 1.0 and report[f"{split}_temperature"] > 0


def grozi_node(*overrides: str) -> DictConfig:
    return composed("validate", "validation=[grozi]", *overrides).validation.grozi


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("vision.photos.gap_frames=-1", "vision.photos.gap_frames: must be >= 0, got -1"),
        ("vision.photos.split=random", "vision.photos.split: the grozi check needs blocks"),
        ("vision.photos.split=blocs", "vision.photos.split: unknown value 'blocs' (did you mean 'blocks'?)"),
        ("vision.photos.test_folder=/tmp", "vision.photos.test_folder: only read with split=folder"),
        ("vision.photos.augment.crop_scale=[0.9,0.5]", "vision.photos.augment.crop_scale"),
        ("validation.grozi.classes=0", "validation.grozi.classes: must be >= 1, got 0"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_key(override, message):
    with pytest.raises(ConfigError) as err:
        build_from_config(grozi_node(override), "validation.grozi")
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_a_tiny_slice_of_grozi_gives_finite_rows_and_figures(tmp_path):
    data = DATA / "grozi120"
    if not data.is_dir():
        pytest.skip(f"{data}: GroZi-120 is not on this machine (set CHECKOUT_LAB_DATA)")
    check = build_from_config(
        grozi_node("validation.grozi.classes=5", "validation.grozi.steps=30"), "validation.grozi"
    )
    assert (check.name, check.folder) == ("grozi", "grozi120")
    rows = check.run(data, tmp_path)
    assert len(rows) == 4 and rows[0].statistic.startswith("camera top-1")
    for row in rows:
        assert all(math.isfinite(v) for v in (row.real, row.simulated, row.tolerance)), row
    for stem in ("grozi_reliability", "grozi_examples"):
        assert (tmp_path / f"{stem}.png").stat().st_size > 0
