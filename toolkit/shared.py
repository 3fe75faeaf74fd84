"""Results the designs of a day share: computed once per set of inputs, read-only.

Designs that read the same sensors through the same recognizers score the same hypotheses the
same way; the second design reuses the first one's result instead of redoing it. Inputs are
matched by identity and held weakly (never copied, hashed or kept alive): a result is dropped as
soon as any of its inputs is, so nothing outlives the day it was computed for.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from toolkit.sensors.observations import read_only

T = TypeVar("T")

Label = str | int | float | bool | None | tuple["Label", ...]


@dataclass(frozen=True)
class _Entry:
    inputs: tuple[weakref.ref, ...]
    label: Label
    value: Any
    finalizers: list[weakref.finalize]


_ENTRIES: dict[int, _Entry] = {}
_NUMBERS = itertools.count()


def once_per(inputs: tuple[object, ...], label: Label, compute: Callable[[], T]) -> T:
    """`compute()` the first time these very objects come with this label (names and numbers,
    compared by value); its read-only result every later time."""
    _check_label(label)
    for entry in tuple(_ENTRIES.values()):  # a collection may drop entries meanwhile
        if entry.label == label and len(entry.inputs) == len(inputs):
            if all(ref() is x for ref, x in zip(entry.inputs, inputs, strict=True)):
                return entry.value
    value = compute()
    for part in value if isinstance(value, tuple) else (value,):
        read_only(part)
    key = next(_NUMBERS)
    finalizers: list[weakref.finalize] = []
    _ENTRIES[key] = _Entry(tuple(weakref.ref(x) for x in inputs), label, value, finalizers)
    finalizers.extend(weakref.finalize(x, _drop, key) for x in inputs)
    return value


def _drop(key: int) -> None:
    """An input is gone: its entry goes, and with it the watch on its other inputs (a world or a
    model outlives many days' entries)."""
    entry = _ENTRIES.pop(key, None)
    for finalizer in entry.finalizers if entry else ():
        finalizer.detach()


def _check_label(label: object) -> None:
    if isinstance(label, tuple):
        for part in label:
            _check_label(part)
    elif label is not None and not isinstance(label, str | int | float | bool):
        raise TypeError(f"once_per: a label holds names and numbers only, got {type(label).__name__}")
