"""Real product photos: a torchvision ImageFolder directory (one folder per SKU) as tensors.

Unreadable or non-image files are skipped with a warning naming each; a class folder with no
usable image is an error naming the folder. The file names are kept: crops cut from video are
named by frame number (GroZi-120's `video12.jpg`), and neighbouring frames are near-duplicates,
so an honest split needs them (splits.py).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image, UnidentifiedImageError

from toolkit.vision.render import SIZE

log = logging.getLogger(__name__)


def _readable(path: str) -> bool:
    try:
        with Image.open(path) as image:
            image.load()  # decode it all: verify() passes a truncated JPEG that fails on loading
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        warnings.warn(f"skipping unreadable image {path}: {err}", stacklevel=2)
        return False


def _load_rgb(path: str) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


_FRAME = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class Photos:
    """Photos (N, 3, size, size) in [0, 1], their labels (N,), the class names, and each file's
    path relative to the root and frame number (the trailing digits of its name; -1: none)."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    files: list[str]
    frames: torch.Tensor

    def subset(self, index: torch.Tensor) -> Photos:
        """The photos at `index` (same classes)."""
        return Photos(
            self.images[index],
            self.labels[index],
            self.classes,
            [self.files[i] for i in index.tolist()],
            self.frames[index],
        )


def frame_number(path: str) -> int:
    """The frame number a file's name ends with (`video12.jpg` → 12), or -1 if it has none."""
    match = _FRAME.search(Path(path).stem)
    return int(match.group(1)) if match else -1


def _chosen_folders(root: str, chosen: Sequence[str] | None, **kwargs: object) -> Any:
    """An ImageFolder reading only the chosen class folders (all when none are chosen).
    torchvision is imported here, not at the top: a store-day without photos never needs it."""
    from torchvision import datasets

    class ChosenFolders(datasets.ImageFolder):
        def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
            if chosen is None:
                return super().find_classes(directory)
            names = sorted(chosen)
            return names, {name: i for i, name in enumerate(names)}

    return ChosenFolders(root, **kwargs)


def load_photos(root: Path, size: int = SIZE, classes: Sequence[str] | None = None) -> Photos:
    """Every readable photo of an ImageFolder tree (or of the chosen class folders), resized to
    size × size."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such image folder")
    found = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not found:
        raise ValueError(f"{root}: no class folders (expected one folder of images per SKU)")
    missing = sorted(set(classes or ()) - set(found))
    if missing:
        raise ValueError(f"{root}: no class folder(s) {', '.join(missing)}")
    chosen = found if classes is None else sorted(classes)
    empty = [c for c in chosen if not any(f.is_file() for f in (root / c).iterdir())]
    if empty:
        raise ValueError(f"{root}: class folder(s) with no images: {', '.join(empty)}")
    from torchvision.transforms import v2

    transform = v2.Compose(
        [v2.ToImage(), v2.Resize((size, size), antialias=True), v2.ToDtype(torch.float32, scale=True)]
    )
    try:
        folder = _chosen_folders(
            str(root),
            None if classes is None else chosen,
            transform=transform,
            is_valid_file=_readable,
            loader=_load_rgb,
        )
    except FileNotFoundError as err:
        raise ValueError(f"{root}: a class folder has no readable image ({err})") from err
    files = [str(Path(path).relative_to(root)) for path, _ in folder.samples]
    photos = Photos(
        torch.stack([folder[i][0] for i in range(len(folder))]),
        torch.tensor(folder.targets),
        list(folder.classes),
        files,
        torch.tensor([frame_number(f) for f in files]),
    )
    log.info("%s: %d images of %d classes", root, len(files), len(folder.classes))
    return photos
