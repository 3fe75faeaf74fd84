"""Does the renderer overstate what cameras can do? The camera design's CNN on real store photos
(GroZi-120) against the same CNN on the toolkit's rendered crops.

GroZi-120 (Merler, Galleguillos and Belongie, "Recognizing Groceries in situ Using in vitro
Training Data", CVPR SLAM 2007): 120 products, up to 40 crops each, cut from video shot in a real
store. Real: the CNN recipe trained on each class's first frames (augmented photos) and tested on
its last frames behind a gap (splits.py), as photographed and through the camera model
(render.degrade: occlusion by a hand or another shopper, motion blur, resolution, light, noise),
which training never sees. Simulated: the same recipe trained on renders of as many catalog SKUs
without the degradations, as many per class as the photos give, and tested on held-out renders
through the same camera model. The temperature of each side is fitted on held-out views degraded
the same way as its test. Classes: a seeded draw of as many GroZi classes as the catalog has SKUs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np
import torch

from toolkit.calibration import expected_calibration_error, reliability_bins
from toolkit.config import AtLeastOne, ConfigError, Count, Settings
from toolkit.figures import save
from toolkit.seeding import component_rng
from toolkit.validation.base import Z95, DataMissing, Row
from toolkit.vision.datasets import Photos, load_photos
from toolkit.vision.models import logits_in_batches
from toolkit.vision.photos import (
    PhotoParams,
    photo_augment,
    split_photos,
    through_camera,
    train_photo_classifier,
)
from toolkit.vision.render import SIZE, RenderParams
from toolkit.vision.train import TrainParams, fit_temperature, render_split, train_classifier
from toolkit.world import make_catalog

log = logging.getLogger(__name__)

SOURCE = (
    "GroZi-120 (Merler, Galleguillos and Belongie, CVPR SLAM 2007): gapped frame-block split; "
    "simulated: toolkit renders of as many catalog SKUs"
)
BOOTSTRAP = 200  # resamples of a test set for the standard error of its ECE


class GroziSettings(Settings):
    """The check's own settings: how many GroZi classes, and the recipe's steps (None: those of
    vision.photos; the CNN, batch and learning rate are vision.train's)."""

    config_path: ClassVar[str] = "validation.grozi"

    classes: AtLeastOne
    steps: AtLeastOne | None
    seed: Count


@dataclass(frozen=True)
class Scored:
    """One side's test: right/wrong on clean views, and on views through the camera model its
    right/wrong with raw and temperature-scaled confidence."""

    clean_correct: np.ndarray
    camera_correct: np.ndarray
    camera_raw: np.ndarray
    camera_calibrated: np.ndarray
    temperature: float


def score(
    model: torch.nn.Module,
    calibrate: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    camera: RenderParams,
    seed: int,
    size: int,
) -> tuple[Scored, torch.Tensor]:
    """Score clean test views, then fit T on the calibration views through the camera and score the
    test views through it; also returns the degraded test views (for the figure)."""
    clean_logits = logits_in_batches(model, test[0])
    cal_seen, test_seen = through_camera((calibrate[0], test[0]), camera, seed, size)
    temperature = fit_temperature(logits_in_batches(model, cal_seen), calibrate[1])
    logits = logits_in_batches(model, test_seen)
    truth = test[1]
    confidence = {t: torch.softmax(logits / t, dim=1).max(dim=1).values.numpy() for t in (1.0, temperature)}
    return Scored(
        (clean_logits.argmax(1) == truth).numpy(),
        (logits.argmax(1) == truth).numpy(),
        confidence[1.0],
        confidence[temperature],
        temperature,
    ), test_seen


def bootstrap_se(confidence: np.ndarray, correct: np.ndarray, rng: np.random.Generator) -> float:
    """Standard error of the ECE of one test set, by resampling its views."""
    n = correct.size
    draws = [
        expected_calibration_error(confidence[i], correct[i]) for i in rng.integers(0, n, (BOOTSTRAP, n))
    ]
    return float(np.std(draws))


class GroziCheck:
    """Validation check `grozi` (data folder `grozi120`): camera top-1 and ECE, real vs rendered."""

    name = "grozi"
    folder = "grozi120"

    def __init__(
        self,
        catalog: Mapping[str, Any],
        render: Mapping[str, Any],
        train: Mapping[str, Any],
        photos: Mapping[str, Any],
        **settings: Any,
    ) -> None:
        self.params = GroziSettings.from_config(settings)
        self.catalog = dict(catalog)
        self.render = RenderParams.from_config(render)
        self.photos = PhotoParams.from_config(photos)
        if self.photos.split != "blocks":
            raise ConfigError(
                f"vision.photos.split: the grozi check needs blocks of frames, not {self.photos.split!r}"
            )
        if self.params.steps is not None:
            self.photos = self.photos.model_copy(update={"steps": self.params.steps})
        self.train = TrainParams.from_config(train).model_copy(update={"steps": self.photos.steps})

    def _classes(self, data: Path) -> list[str]:
        found = sorted((p.name for p in data.iterdir() if p.is_dir()), key=lambda n: (len(n), n))
        if self.params.classes > len(found):
            raise ConfigError(
                f"validation.grozi.classes: {data} has {len(found)} classes, not {self.params.classes}"
            )
        pick = component_rng(self.params.seed, "validation", "grozi").choice(
            len(found), self.params.classes, replace=False
        )
        return [found[i] for i in sorted(pick)]

    def run(self, data: Path | None, out: Path) -> Sequence[Row]:
        if data is None:
            raise DataMissing("grozi: no data folder given")
        p, train = self.params, self.train
        size, k = self.photos.input_size, p.classes
        photos = load_photos(data, size, self._classes(data))
        split = split_photos(photos, self.photos, p.seed)
        real_model = train_photo_classifier(split.fit, train, self.photos, progress=False)
        real, real_seen = score(
            real_model,
            (split.calibrate.images, split.calibrate.labels),
            (split.test.images, split.test.labels),
            self.render,
            p.seed,
            size,
        )

        catalog = make_catalog({**self.catalog, "n_skus": k}, component_rng(p.seed, "world", "catalog"))
        generator = torch.Generator().manual_seed(p.seed)
        views = self.render.undegraded()

        def renders(per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
            images, labels = render_split(catalog.appearance, max(1, per_class), views, generator)
            if size != SIZE:
                images = torch.nn.functional.interpolate(
                    images, size=(size, size), mode="bilinear", antialias=True
                )
            return images, labels

        fit = renders(round(split.fit.labels.numel() / k))
        calibrate = renders(round(split.calibrate.labels.numel() / k))
        test = renders(round(split.test.labels.numel() / k))
        sim_model = train_classifier(*fit, k, train, False, photo_augment(self.photos.augment, size))
        sim, sim_seen = score(sim_model, calibrate, test, self.render, p.seed, size)

        log.info(
            "grozi: %d classes, %d/%d/%d photos and %d/%d/%d renders (train/temperature/test); "
            "T real %.2f, simulated %.2f",
            k,
            split.fit.labels.numel(),
            split.calibrate.labels.numel(),
            split.test.labels.numel(),
            fit[1].numel(),
            calibrate[1].numel(),
            test[1].numel(),
            real.temperature,
            sim.temperature,
        )
        reliability_figure(real, sim, out / "grozi_reliability")
        examples_figure(split.test, real_seen, test, sim_seen, out / "grozi_examples")
        return rows(real, sim, k, component_rng(p.seed, "validation", "grozi", "bootstrap"))


def rows(real: Scored, sim: Scored, k: int, rng: np.random.Generator) -> list[Row]:
    """Top-1 (clean and through the camera) and ECE (raw and calibrated, through the camera)."""
    out = []
    for statistic, r, s in (
        (
            f"camera top-1 under the camera model's degradations ({k} classes)",
            real.camera_correct,
            sim.camera_correct,
        ),
        (f"top-1 on clean held-out views ({k} classes)", real.clean_correct, sim.clean_correct),
    ):
        pooled = (r.sum() + s.sum()) / (r.size + s.size)
        tolerance = Z95 * np.sqrt(pooled * (1 - pooled) * (1 / r.size + 1 / s.size))
        out.append(
            Row(
                "grozi",
                statistic,
                100 * float(r.mean()),
                100 * float(s.mean()),
                100 * float(tolerance),
                "%",
                f"95 % binomial interval of the difference of two test sets ({r.size} photos, {s.size} "
                "renders); test sampling only, not training-seed variation",
                SOURCE,
            )
        )
    for statistic, r, s in (
        (
            "ECE under the camera model, temperature fitted on degraded held-out views",
            real.camera_calibrated,
            sim.camera_calibrated,
        ),
        ("ECE under the camera model, raw (no temperature)", real.camera_raw, sim.camera_raw),
    ):
        ece_r = expected_calibration_error(r, real.camera_correct)
        ece_s = expected_calibration_error(s, sim.camera_correct)
        se = np.hypot(bootstrap_se(r, real.camera_correct, rng), bootstrap_se(s, sim.camera_correct, rng))
        out.append(
            Row(
                "grozi",
                statistic,
                100 * ece_r,
                100 * ece_s,
                100 * Z95 * float(se),
                "%",
                f"1.96 × bootstrap standard error ({BOOTSTRAP} resamples) of the ECE difference, 15 bins",
                SOURCE,
            )
        )
    return out


def reliability_figure(
    real: Scored, sim: Scored, stem: Path, n_bins: int = 10, min_views: int = 5
) -> list[Path]:
    """Accuracy against confidence through the camera model, real photos and renders, with and
    without the temperature; bins with fewer than `min_views` views are left out (noise)."""
    figure, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.plot([0, 1], [0, 1], "k:", linewidth=1, label="perfect calibration")
    for label, side, colour in (("GroZi-120 photos", real, "tab:red"), ("renders", sim, "tab:blue")):
        for stage, confidence, style in (
            ("raw", side.camera_raw, "--"),
            ("calibrated", side.camera_calibrated, "-"),
        ):
            count, conf_sum, right = reliability_bins(confidence, side.camera_correct, n_bins)
            keep = count >= min_views
            ax.plot(
                conf_sum[keep] / count[keep],
                right[keep] / count[keep],
                style,
                marker="o",
                color=colour,
                label=f"{label}, {stage}",
            )
    ax.set_xlabel("confidence (top-1 softmax)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"through the camera model (bins of >= {min_views} views)", fontsize=9)
    ax.legend(fontsize=7)
    figure.tight_layout()
    return save(figure, stem)


def examples_figure(
    photos: Photos,
    photos_seen: torch.Tensor,
    renders: tuple[torch.Tensor, torch.Tensor],
    renders_seen: torch.Tensor,
    stem: Path,
    n: int = 6,
) -> list[Path]:
    """A few test photos and renders, as they are and through the camera model."""
    columns = (
        ("photo", photos.images),
        ("photo through camera", photos_seen),
        ("render", renders[0]),
        ("render through camera", renders_seen),
    )
    n = min(n, photos.labels.numel(), renders[1].numel())
    pick_photos = np.linspace(0, photos.labels.numel() - 1, n).astype(int)
    pick_renders = np.linspace(0, renders[1].numel() - 1, n).astype(int)
    figure, axes = plt.subplots(n, len(columns), figsize=(1.6 * len(columns), 1.6 * n), squeeze=False)
    for j, (title, images) in enumerate(columns):
        picks = pick_photos if j < 2 else pick_renders
        for i, index in enumerate(picks):
            ax = axes[i][j]
            ax.imshow(images[index].permute(1, 2, 0).clamp(0, 1).numpy())
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=7)
    figure.tight_layout()
    return save(figure, stem)
