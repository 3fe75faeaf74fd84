"""Train the product CNN on rendered crops of the configured catalog (or on an ImageFolder of real
photos) and print accuracy, NLL and ECE before and after temperature scaling.

    python experiments/train_vision.py                          # default catalog, default small CNN
    python experiments/train_vision.py vision.train.model=resnet18
    python experiments/train_vision.py image_folder=/data/photos
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig

from toolkit.config import ConfigError
from toolkit.preflight import exit_on_bad_command_line
from toolkit.vision.datasets import load_image_folder
from toolkit.vision.render import RenderParams
from toolkit.vision.train import TrainParams, classifier_for_catalog, train_on_images
from toolkit.world import make_world


@hydra.main(version_base="1.3", config_path="../configs", config_name="train_vision")
def main(cfg: DictConfig) -> None:
    start = time.perf_counter()
    try:
        train = TrainParams.from_config(cfg.vision.train)
        if cfg.image_folder:
            images, labels, classes = load_image_folder(Path(cfg.image_folder))
            report = train_on_images(images, labels, len(classes), train, float(cfg.holdout_share))
            what = f"{len(classes)} classes, {len(labels)} photos from {cfg.image_folder}"
        else:
            world = make_world(cfg.catalog, cfg.store, int(cfg.seed))
            render = RenderParams.from_config(cfg.vision.render)
            cache = Path(cfg.vision.cache_dir) if cfg.vision.cache_dir else None
            report = classifier_for_catalog(world.catalog.appearance, render, train, cache).report
            what = f"{world.catalog.n_skus} SKUs of catalog {cfg.catalog.name}, rendered crops"
    except (ConfigError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print(f"{train.model} on {what} ({time.perf_counter() - start:.0f} s)")
    print(f"temperature {report['temperature']:.3f}")
    for split in ("clean", "heldout"):
        for stage in ("raw", "calibrated"):
            if f"{split}_{stage}_accuracy" in report:
                print(
                    f"  {split:<8} {stage:<10} accuracy {report[f'{split}_{stage}_accuracy']:.2%}  "
                    f"NLL {report[f'{split}_{stage}_nll']:.3f}  ECE {report[f'{split}_{stage}_ece']:.2%}"
                )


if __name__ == "__main__":
    exit_on_bad_command_line("train_vision")
    main()
