"""Real product photos: a torchvision ImageFolder directory (one folder per SKU) as tensors.

Unreadable or non-image files are skipped with a warning naming each; a class folder with no
usable image is an error naming the folder.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError
from torchvision import datasets
from torchvision.transforms import v2

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


def load_image_folder(root: Path, size: int = SIZE) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Images (N, 3, size, size) in [0, 1], labels (N,) and class names of an ImageFolder tree."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such image folder")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise ValueError(f"{root}: no class folders (expected one folder of images per SKU)")
    empty = [c for c in classes if not any(f.is_file() for f in (root / c).iterdir())]
    if empty:
        raise ValueError(f"{root}: class folder(s) with no images: {', '.join(empty)}")
    transform = v2.Compose(
        [v2.ToImage(), v2.Resize((size, size), antialias=True), v2.ToDtype(torch.float32, scale=True)]
    )
    try:
        folder = datasets.ImageFolder(
            str(root),
            transform=transform,
            is_valid_file=_readable,
            loader=_load_rgb,
        )
    except FileNotFoundError as err:
        raise ValueError(f"{root}: a class folder has no readable image ({err})") from err
    images = torch.stack([folder[i][0] for i in range(len(folder))])
    labels = torch.tensor(folder.targets)
    log.info("%s: %d images of %d classes", root, len(folder), len(folder.classes))
    return images, labels, list(folder.classes)
