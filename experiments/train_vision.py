"""Train the product CNN on rendered crops of the configured catalog (or on an ImageFolder of real
photos) and print accuracy, NLL and ECE before and after temperature scaling.

    python experiments/train_vision.py                          # default catalog, default small CNN
    python experiments/train_vision.py vision.train.model=resnet18
    python experiments/train_vision.py image_folder=/data/photos            # split by frame blocks
    python experiments/train_vision.py image_folder=/data/photos vision.photos.split=folder \
        vision.photos.test_folder=/data/test_photos

Photos are split by `vision.photos` (configs/vision/default.yaml): by default each class's last
frames, behind a gap, fit the temperature and test; the test is scored as photographed and
through the camera model (`vision.render`'s occlusion, blur, resolution and noise).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from toolkit.config import ConfigError
from toolkit.preflight import exit_on_bad_command_line
from toolkit.terminal import show_debug_log, take_verbose_flag
from toolkit.vision.datasets import load_photos
from toolkit.vision.photos import PhotoParams, train_on_photos
from toolkit.vision.render import RenderParams
from toolkit.vision.train import TrainParams, classifier_for_catalog
from toolkit.world import make_world

SPLITS = {
    "clean": "clean renders",
    "heldout": "held-out",
    "camera": "held-out through the camera model",
}


@hydra.main(version_base="1.3", config_path="../configs", config_name="train_vision")
def main(cfg: DictConfig) -> None:
    if HydraConfig.get().verbose:  # Hydra's DEBUG lines to the terminal too
        show_debug_log()
    start = time.perf_counter()
    try:
        train = TrainParams.from_config(cfg.vision.train)
        render = RenderParams.from_config(cfg.vision.render)
        if cfg.image_folder:
            photo = PhotoParams.from_config(cfg.vision.photos)
            photos = load_photos(Path(cfg.image_folder), photo.input_size)
            tests = load_photos(Path(photo.test_folder), photo.input_size) if photo.test_folder else None
            report = train_on_photos(photos, train, photo, render, tests)
            what = (
                f"{len(photos.classes)} classes, {len(photos.labels)} photos from {cfg.image_folder} "
                f"(split={photo.split}: {report['n_fit']} train, {report['n_calibrate']} temperature, "
                f"{report['n_test']} test; {photo.input_size} px)"
            )
        else:
            world = make_world(cfg.catalog, cfg.store, int(cfg.store_seed))
            cache = Path(cfg.vision.cache_dir) if cfg.vision.cache_dir else None
            report = classifier_for_catalog(world.catalog.appearance, render, train, cache).report
            what = f"{world.catalog.n_skus} SKUs of catalog {cfg.catalog.name}, rendered crops"
    except (ConfigError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print(f"{train.model} on {what} ({time.perf_counter() - start:.0f} s)")
    if "temperature" in report:
        print(f"temperature {report['temperature']:.3f}")
    for split, label in SPLITS.items():
        for stage in ("raw", "calibrated"):
            if f"{split}_{stage}_accuracy" in report:
                line = (
                    f"  {label:<34} {stage:<10} accuracy {report[f'{split}_{stage}_accuracy']:.2%}  "
                    f"NLL {report[f'{split}_{stage}_nll']:.3f}  ECE {report[f'{split}_{stage}_ece']:.2%}"
                )
                if f"{split}_temperature" in report:  # photos: each test has its own temperature
                    line += f"  T {report[f'{split}_temperature']:.3f}"
                print(line)


if __name__ == "__main__":
    sys.argv = take_verbose_flag(sys.argv)
    exit_on_bad_command_line("train_vision")
    main()
