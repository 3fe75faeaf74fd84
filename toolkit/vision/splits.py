"""Train / temperature / test splits of photos, by blocks of video frames or at random.

Crops cut from video (GroZi-120: `videoN.jpg`) come in runs of near-duplicates: neighbouring
frames show the same pose, light and glare. A random split puts copies of a test photo in the
training set and reports how well the model remembers, not how well it recognises a new view.
The block split keeps, within each class, the first frames for training and the last ones for
temperature fitting and testing, with a gap of frames between them.
"""

from __future__ import annotations

import logging
import warnings
from typing import NamedTuple

import torch

log = logging.getLogger(__name__)

RANDOM_SPLIT_WARNING = (
    "random split: neighbouring video frames are near-duplicates and fall on both sides, so the "
    "held-out score overstates accuracy on new photos; split by frame blocks or use a separate test folder"
)


class Split(NamedTuple):
    """Indices of the photos that train the model, fit its temperature and test it."""

    fit: torch.Tensor
    calibrate: torch.Tensor
    test: torch.Tensor


def random_split(n: int, holdout_share: float, seed: int) -> Split:
    """A seeded random `holdout_share` held out (half fits T, half tests); warns that it leaks."""
    if not 0.0 < holdout_share < 1.0:
        raise ValueError(f"holdout_share: must be in (0, 1), got {holdout_share}")
    warnings.warn(RANDOM_SPLIT_WARNING, stacklevel=2)
    log.warning(RANDOM_SPLIT_WARNING)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_hold = max(2, round(holdout_share * n))
    return Split(order[n_hold:], order[: n_hold // 2], order[n_hold // 2 : n_hold])


def block_split(
    labels: torch.Tensor,
    frames: torch.Tensor,
    holdout_share: float,
    gap_frames: int,
    classes: list[str],
    with_test: bool = True,
) -> Split:
    """Within each class, sorted by frame: the last `holdout_share` of the photos is held out,
    photos within `gap_frames` frames before it are dropped, and the rest trains. The held-out
    block's first half fits the temperature and its second half tests (two runs of frames that
    touch at one frame, not interleaved near-duplicates), so that T is fitted on views like the
    test's; `with_test=False` keeps it all for temperature fitting (a separate folder
    tests). Photos without a frame number in their name count as numbered in name order."""
    if not 0.0 < holdout_share < 1.0:
        raise ValueError(f"holdout_share: must be in (0, 1), got {holdout_share}")
    fit, calibrate, test = [], [], []
    for c in range(len(classes)):
        index = (labels == c).nonzero().flatten()
        if index.numel() == 0:
            continue
        order = frames[index]
        if (order < 0).any():
            order = torch.arange(index.numel())  # index is in file-name order (ImageFolder sorts)
        order, rank = torch.sort(order, stable=True)
        index = index[rank]
        n, need = index.numel(), 2 if with_test else 1
        n_hold = min(n - 1, max(need, round(holdout_share * n)))
        held = index[n - n_hold :]
        training = index[order < order[n - n_hold] - gap_frames] if n_hold >= need else index[:0]
        if training.numel() == 0:
            raise ValueError(
                f"class {classes[c]}: {n} photo(s) over frames {int(order[0])}-{int(order[-1])} "
                f"leave none to train on after holding out {holdout_share:.0%} and a gap of {gap_frames} "
                "frames; lower gap_frames or holdout_share"
            )
        fit.append(training)
        if with_test:
            calibrate.append(held[: n_hold // 2])
            test.append(held[n_hold // 2 :])
        else:
            calibrate.append(held)
    empty = torch.zeros(0, dtype=torch.long)
    return Split(torch.cat(fit), torch.cat(calibrate), torch.cat(test) if test else empty)
