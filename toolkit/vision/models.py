"""CNN classifiers of product crops, selected by name; torchvision models are built with weights=None.

The registry refuses duplicate names, as torchvision's does.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn.modules.utils import _pair

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


class MaxPool2dInference(nn.MaxPool2d):
    """2 × 2 max pooling that, without autograd, takes the larger of each pair of rows and then of
    each pair of columns: on the CPU torch's NCHW kernel computes the argmax indices as well and
    took half the inference time, and a channels-last copy took a third of it. A maximum is
    exact, so the values are the same bits; with autograd on (training), or another window, it
    is plain MaxPool2d, whose indices route the gradient."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or not self._pairs():
            return super().forward(x)
        height, width = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2  # floor mode: an odd edge drops
        rows = torch.maximum(x[..., 0:height:2, :width], x[..., 1:height:2, :width])
        return torch.maximum(rows[..., 0::2], rows[..., 1::2])

    def _pairs(self) -> bool:
        """Whether this pool is the 2 × 2, stride-2 window without padding that `forward` unrolls."""
        window = tuple(_pair(v) for v in (self.kernel_size, self.stride, self.padding, self.dilation))
        return window == ((2, 2), (2, 2), (0, 0), (1, 1)) and not (self.ceil_mode or self.return_indices)


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        MaxPool2dInference(2),
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


# Crops per forward pass in inference: 128 keeps a layer's activations (8 MB for the first block)
# in cache; on the project machine 512 took three times as long. Each crop is scored on its own,
# so the batch size changed the speed, not the bits, there (a day's scores were bit-identical);
# torch may route a batch of one crop through another kernel, as it always could for a last batch.
INFERENCE_BATCH = 128


def logits_in_batches(model: nn.Module, images: torch.Tensor, batch: int = INFERENCE_BATCH) -> torch.Tensor:
    """Inference over many crops, batch by batch, without autograd (an empty input gives (0, C)).

    The batches run in inference mode; their concatenation does not, so the logits can still be
    used where a gradient flows, as in fitting a temperature."""
    model.eval()
    with torch.inference_mode():
        if images.shape[0] == 0:
            parts = [model(images)]
        else:
            parts = [model(images[i : i + batch]) for i in range(0, images.shape[0], batch)]
    return torch.cat(parts)
