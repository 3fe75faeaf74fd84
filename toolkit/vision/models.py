"""CNN classifiers of product crops, selected by name; torchvision models are built with weights=None.

The registry refuses duplicate names, as torchvision's does.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

_REGISTRY: dict[str, Callable[[int], nn.Module]] = {}


def register(name: str) -> Callable[[Callable[[int], nn.Module]], Callable[[int], nn.Module]]:
    def add(builder: Callable[[int], nn.Module]) -> Callable[[int], nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"a model named {name!r} is already registered")
        _REGISTRY[name] = builder
        return builder

    return add


def build_model(name: str, n_classes: int) -> nn.Module:
    """A freshly initialised classifier with `n_classes` outputs (logits)."""
    if name not in _REGISTRY:
        raise ValueError(
            f"vision.train.model: unknown model {name!r}; available: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name](n_classes)


def available_models() -> list[str]:
    return sorted(_REGISTRY)


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


@register("small_cnn")
def small_cnn(n_classes: int) -> nn.Module:
    """Three conv blocks (16→32→64 channels), global average pooling, a linear head: ~25 k weights,
    sized to train in minutes on two CPU cores."""
    return nn.Sequential(
        _block(3, 16),
        _block(16, 32),
        _block(32, 64),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, n_classes),
    )


@register("resnet18")
def resnet18(n_classes: int) -> nn.Module:
    from torchvision import models  # here: the default small CNN never needs torchvision

    return models.resnet18(weights=None, num_classes=n_classes)


@register("mobilenet_v3_small")
def mobilenet_v3_small(n_classes: int) -> nn.Module:
    from torchvision import models

    return models.mobilenet_v3_small(weights=None, num_classes=n_classes)


def logits_in_batches(model: nn.Module, images: torch.Tensor, batch: int = 512) -> torch.Tensor:
    """Inference over many crops, batch by batch, without gradients (an empty input gives (0, C))."""
    model.eval()
    with torch.no_grad():
        if images.shape[0] == 0:
            return model(images)
        return torch.cat([model(images[i : i + batch]) for i in range(0, images.shape[0], batch)])
