"""Vision recognizer: the CNN's calibrated belief about which product each camera view shows.

For a hypothesis with lines L (one or two SKUs) and a view x that shows one of them:

    log L(x | h) = log( (1/|L|) Σ_{y∈L} p(y | x) ) + log N          # p from the temperature-scaled CNN

(p(y | x) / (1/N) is the likelihood ratio against a uniform class prior, under which the CNN was
trained.) A hand-object detector says in each usable view whether the hand holds a product; a
hypothesis that moves something expects it to (missed with probability m), "nothing moved"
expects an empty hand (taken for a product with probability f):

    log L(holding | moves) = log(1 − m),   log L(empty | moves) = log m
    log L(holding | null)  = log f,        log L(empty | null)  = log(1 − f)

and the CNN term counts only in views that hold a product. Views are independent evidence and
add up; a missing view contributes nothing. Counts and direction are left to the weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from toolkit.config import ConfigError
from toolkit.numerics import logsumexp
from toolkit.recognizers.base import BaseRecognizer, EventBatch, Evidence
from toolkit.sensors.observations import CameraCrops
from toolkit.shared import once_per
from toolkit.vision.photo_store import camera_source, classifier_for_photos, training_photos
from toolkit.vision.render import RenderParams
from toolkit.vision.train import TrainedClassifier, TrainParams, classifier_for_catalog
from toolkit.world import World

_CROPS_AT_ONCE = 1024  # float copies of this many crops at a time (a multiple of INFERENCE_BATCH)


def _view_log_probs(classifier: TrainedClassifier, crops: CameraCrops) -> np.ndarray:
    """log p(class | view) (E, V, C) of the views whose hand holds a product (zeros elsewhere:
    no hypothesis reads them). The CNN runs once per crops and classifier: a design's second pass
    and every design with the same cameras and CNN reuse it. A CNN in eval mode scores each image
    on its own, so skipping the empty-handed views leaves the held views' scores as they were
    (bit for bit on the project machine; a test checks them to float precision). The array is
    shared, so it is read-only, and it is dropped with its crops."""
    return once_per(
        (crops, classifier), "view log-probabilities", lambda: _score_held_views(classifier, crops)
    )


def _score_held_views(classifier: TrainedClassifier, crops: CameraCrops) -> np.ndarray:
    n_events, n_views = crops.visible.shape
    held = np.flatnonzero(crops.holding.ravel())
    flat = crops.images.reshape(n_events * n_views, *crops.images.shape[2:])
    log_p = np.zeros((n_events * n_views, classifier.n_classes), dtype=np.float32)
    for start in range(0, held.size, _CROPS_AT_ONCE):  # float copies of a thousand crops at a time
        part = held[start : start + _CROPS_AT_ONCE]
        log_p[part] = classifier.log_probs(torch.from_numpy(flat[part].astype(np.float32)) / 255.0).numpy()
    log_p.flags.writeable = False  # shared: the view below may not be made writeable again
    return log_p.reshape(n_events, n_views, classifier.n_classes)


class VisionRecognizer(BaseRecognizer):
    signals: ClassVar[frozenset[str]] = frozenset({"camera"})

    def __init__(
        self,
        render: Mapping[str, Any],
        train: Mapping[str, Any],
        vision: Mapping[str, Any],
        cache_dir: str | None = None,
        progress: bool = True,
        p_holding_missed: float = 0.05,
        p_holding_false: float = 0.05,
    ) -> None:
        for key, value in (("p_holding_missed", p_holding_missed), ("p_holding_false", p_holding_false)):
            if not 0.0 < value < 1.0:
                raise ConfigError(f"recognizer.vision.{key}: must be in (0, 1), got {value}")
        self.log_hand = np.log(
            [[p_holding_missed, 1.0 - p_holding_missed], [1.0 - p_holding_false, p_holding_false]]
        )
        self.render_params = RenderParams.from_config(render)
        self.train_params = TrainParams.from_config(train)
        self.source = camera_source(vision)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.progress = progress

    def prepare(self, world: World, rng: np.random.Generator) -> None:
        """The CNN for this catalog: trained on its renders, or on the real photos that stand in
        for its SKUs (`vision.source=photos`); loaded once per process (`cached_classifier`)."""
        super().prepare(world, rng)
        if self.source.source == "photos":
            self.classifier = classifier_for_photos(
                training_photos(world.catalog.n_skus, self.source),
                self.source,
                self.render_params,
                self.train_params,
                self.cache_dir,
                self.progress,
            )
        else:
            self.classifier = classifier_for_catalog(
                world.catalog.appearance, self.render_params, self.train_params, self.cache_dir, self.progress
            )

    def sharing_key(self) -> tuple[tuple[object, ...], tuple[object, ...]]:
        return (self.classifier,), tuple(self.log_hand.ravel().tolist())

    def evidence(self, batch: EventBatch) -> Evidence:
        crops: CameraCrops = batch.readings["camera"]
        hyps = batch.hypotheses
        n_events, n_views = crops.visible.shape
        n_classes = self.classifier.n_classes
        log_p = _view_log_probs(self.classifier, crops)
        lines = hyps.sku >= 0
        n_lines = lines.sum(axis=-1)
        rows = np.arange(n_events)[:, None, None, None]
        per_line = log_p[rows, np.arange(n_views)[None, :, None, None], np.where(lines, hyps.sku, 0)[:, None]]
        per_line = np.where(lines[:, None], per_line, -np.inf)
        with np.errstate(divide="ignore"):
            view = logsumexp(per_line, axis=-1) - np.log(np.maximum(n_lines, 1))[:, None] + np.log(n_classes)
        moves = n_lines > 0
        view = np.where(moves[:, None] & crops.holding[:, :, None], view, 0.0)
        # hand evidence: row 0 = a hypothesis that moves something, row 1 = nothing moved
        hand = self.log_hand[np.where(moves, 0, 1)[:, None, :], crops.holding.astype(int)[:, :, None]]
        view = view + np.where(crops.visible[:, :, None], hand, 0.0)
        loglik = view.sum(axis=1)
        return Evidence(loglik=np.where(hyps.valid, loglik, -np.inf), source="vision")
