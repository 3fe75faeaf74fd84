"""Training, temperature scaling and caching of the product classifier.

Train on rendered crops (or any image tensors: photos.py trains on ImageFolder photos), fit one
temperature T on a held-out split by minimising its NLL (Guo et al. 2017), and report accuracy,
NLL and ECE (15 bins) before and after. A trained model is cached under a key that hashes
everything it depends on, and loaded with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from pydantic import field_validator
from torch import nn
from tqdm import tqdm

from toolkit.calibration import expected_calibration_error
from toolkit.config import (
    AtLeastOne,
    Count,
    Positive,
    Settings,
    did_you_mean,
)
from toolkit.io import write_atomic
from toolkit.vision.models import available_models, build_model, logits_in_batches
from toolkit.vision.render import RenderParams, render

log = logging.getLogger(__name__)


class TrainParams(Settings):
    config_path: ClassVar[str] = "vision.train"

    model: str
    steps: AtLeastOne
    batch: AtLeastOne
    learning_rate: Positive
    train_per_class: AtLeastOne
    holdout_per_class: AtLeastOne
    seed: Count

    @field_validator("model")
    @classmethod
    def _registered(cls, name: str) -> str:
        if name not in available_models():
            hint = did_you_mean(name, available_models())
            raise ValueError(f"unknown value {name!r}{hint}; allowed: {', '.join(available_models())}")
        return name


@dataclass
class TrainedClassifier:
    """A classifier with its temperature and the figures measured when it was made."""

    model: nn.Module
    model_name: str
    n_classes: int
    temperature: float
    report: dict[str, float]

    def log_probs(self, images: torch.Tensor) -> torch.Tensor:
        """Calibrated log p(class | crop), (B, n_classes)."""
        return torch.log_softmax(logits_in_batches(self.model, images) / self.temperature, dim=1)


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """T > 0 minimising the NLL of softmax(logits / T) on a held-out split."""
    log_t = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimiser.step(closure)
    return float(log_t.exp().item())


def scores(logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0) -> dict[str, float]:
    """Accuracy, NLL and ECE (15 bins) of softmax(logits / T)."""
    probs = torch.softmax(logits / temperature, dim=1)
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == labels).numpy()
    return {
        "accuracy": float(correct.mean()),
        "nll": float(nn.functional.cross_entropy(logits / temperature, labels)),
        "ece": expected_calibration_error(confidence.numpy(), correct),
    }


def calibrate_and_score(
    model: nn.Module,
    calibrate: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    name: str,
    calibrated_on: str,
    tested_on: str,
) -> dict[str, float]:
    """T fitted on the `calibrate` (images, labels), and `test`'s accuracy, NLL and ECE before and
    after it: `{name}_temperature`, `{name}_{raw|calibrated}_{accuracy|nll|ece}`. A temperature
    only corrects the confidence of the distribution it was fitted on, so a `calibrated_on` that
    differs from `tested_on` is warned about."""
    if calibrated_on != tested_on:
        message = (
            f"{name}: temperature fitted on {calibrated_on} but tested on {tested_on}, another "
            "distribution: the calibrated figures may be off"
        )
        warnings.warn(message, stacklevel=2)
        log.warning(message)
    temperature = fit_temperature(logits_in_batches(model, calibrate[0]), calibrate[1])
    logits = logits_in_batches(model, test[0])
    report = {f"{name}_temperature": temperature}
    for stage, t in (("raw", 1.0), ("calibrated", temperature)):
        report.update({f"{name}_{stage}_{k}": v for k, v in scores(logits, test[1], t).items()})
    return report


def train_classifier(
    images: torch.Tensor,
    labels: torch.Tensor,
    n_classes: int,
    params: TrainParams,
    progress: bool = True,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> nn.Module:
    """Minibatch AdamW with a one-cycle schedule over `params.steps` steps; seeded. `augment`, if
    given, transforms each minibatch afresh (photos: new crops, angles and colours every step)."""
    torch.manual_seed(params.seed)
    model = build_model(params.model, n_classes)
    optimiser = torch.optim.AdamW(model.parameters(), lr=params.learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=params.learning_rate, total_steps=params.steps
    )
    generator = torch.Generator().manual_seed(params.seed)
    model.train()
    bar = tqdm(
        range(params.steps),
        desc=f"training {params.model}",
        disable=None if progress else True,  # None: drawn on a terminal only, so logs to a file stay clean
        leave=False,
        mininterval=2.0,
    )
    for _ in bar:
        pick = torch.randint(0, images.shape[0], (params.batch,), generator=generator)
        batch = images[pick] if augment is None else augment(images[pick])
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(model(batch), labels[pick])
        loss.backward()
        optimiser.step()
        schedule.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    model.eval()
    return model


def render_split(
    appearance: np.ndarray,
    per_class: int,
    params: RenderParams,
    generator: torch.Generator,
    chunk: int = 4096,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`per_class` renders of every SKU, in random order: images (N, 3, S, S) and labels (N,)."""
    labels = torch.arange(appearance.shape[0]).repeat(per_class)
    labels = labels[torch.randperm(labels.numel(), generator=generator)]
    table = torch.as_tensor(appearance, dtype=torch.float32)
    images = torch.cat(
        [render(table[labels[i : i + chunk]], params, generator) for i in range(0, len(labels), chunk)]
    )
    return images, labels


def cache_key(appearance: np.ndarray, render_params: RenderParams, train: TrainParams) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(appearance, dtype=np.float64).tobytes())
    digest.update(json.dumps([render_params.model_dump(), train.model_dump()], sort_keys=True).encode())
    return digest.hexdigest()[:24]


def save_checkpoint(classifier: TrainedClassifier, path: Path) -> None:
    """Tensors and plain numbers only, so that loading needs no pickle of code (weights_only)."""
    payload = {
        "state_dict": classifier.model.state_dict(),
        "model_name": classifier.model_name,
        "n_classes": classifier.n_classes,
        "temperature": classifier.temperature,
        "report": classifier.report,
    }
    write_atomic(path, lambda fh: torch.save(payload, fh))


def load_checkpoint(path: Path, expected_classes: int | None = None) -> TrainedClassifier:
    """Load a cached classifier; refuse one trained for another catalog size."""
    try:
        payload = torch.load(path, weights_only=True)
        n_classes, name = int(payload["n_classes"]), str(payload["model_name"])
    except Exception as err:
        raise ValueError(f"{path}: not a readable checkpoint ({str(err).splitlines()[0]})") from err
    if expected_classes is not None and n_classes != expected_classes:
        raise ValueError(f"{path}: trained for {n_classes} SKUs, the catalog has {expected_classes}")
    model = build_model(name, n_classes)
    try:
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError) as err:
        raise ValueError(f"{path}: its weights do not fit a {name} ({str(err).splitlines()[0]})") from err
    model.eval()
    return TrainedClassifier(
        model, payload["model_name"], payload["n_classes"], payload["temperature"], dict(payload["report"])
    )


_LOADED: OrderedDict[str, TrainedClassifier] = OrderedDict()
_LOADED_MAX = 8  # small CNNs; a sweep worker visits a few catalogs


def cached_classifier(
    name: str, n_classes: int, cache_dir: Path | None, make: Callable[[], TrainedClassifier]
) -> TrainedClassifier:
    """The classifier cached as `name` (a key that hashes everything it depends on): from this
    process's memory if it has loaded it (every design, pass and job of a sweep worker shares
    it), else from the cache folder, else made by `make()` and cached."""
    path = cache_dir / f"{name}.pt" if cache_dir else None
    classifier = _LOADED.pop(name, None)
    if classifier is not None:
        if path is not None and not path.is_file():  # another cache folder: it gets the model too
            save_checkpoint(classifier, path)
    elif path is not None and path.is_file():
        try:
            classifier = load_checkpoint(path, n_classes)
            log.info("vision model from cache %s", path)
        except ValueError as err:  # a cache, not a source of truth: train anew and replace it
            log.warning("ignoring the cached vision model: %s; training anew", err)
    if classifier is None:
        classifier = make()
        if path is not None:
            save_checkpoint(classifier, path)
    _LOADED[name] = classifier
    while len(_LOADED) > _LOADED_MAX:
        _LOADED.popitem(last=False)
    return classifier


def forget_loaded_classifiers() -> None:
    """Drop the models this process holds in memory, so the next call reads the cache folder
    again (after its files were replaced under a running process)."""
    _LOADED.clear()


def classifier_for_catalog(
    appearance: np.ndarray,
    render_params: RenderParams,
    train: TrainParams,
    cache_dir: Path | None,
    progress: bool = True,
) -> TrainedClassifier:
    """The catalog's product classifier: cached, or trained, calibrated and scored. The report
    holds accuracy, NLL and ECE on clean and on randomised held-out renders, before and after
    temperature scaling."""

    def make() -> TrainedClassifier:
        generator = torch.Generator().manual_seed(train.seed)
        images, labels = render_split(appearance, train.train_per_class, render_params, generator)
        model = train_classifier(images, labels, appearance.shape[0], train, progress)
        val_images, val_labels = render_split(appearance, train.holdout_per_class, render_params, generator)
        temperature = fit_temperature(logits_in_batches(model, val_images), val_labels)
        test_images, test_labels = render_split(appearance, train.holdout_per_class, render_params, generator)
        clean_images, clean_labels = render_split(
            appearance, train.holdout_per_class, render_params.clean(), generator
        )
        test_logits = logits_in_batches(model, test_images)
        clean_logits = logits_in_batches(model, clean_images)
        report = {"temperature": temperature}
        for split, (logits, truth) in {
            "clean": (clean_logits, clean_labels),
            "heldout": (test_logits, test_labels),
        }.items():
            for stage, t in (("raw", 1.0), ("calibrated", temperature)):
                report.update({f"{split}_{stage}_{k}": v for k, v in scores(logits, truth, t).items()})
        return TrainedClassifier(model, train.model, appearance.shape[0], temperature, report)

    name = f"vision-{cache_key(appearance, render_params, train)}"
    return cached_classifier(name, appearance.shape[0], cache_dir, make)
