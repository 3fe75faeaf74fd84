"""Results the designs of a day share: computed once per set of inputs, read-only.

Designs that read the same sensors through the same recognizers score the same hypotheses the
same way; the second design reuses the first one's result instead of redoing it. Inputs are
matched by identity and held weakly (never copied, hashed or kept alive): a result is dropped as
soon as any of its inputs is, so nothing outlives the day it was computed for.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from toolkit.sensors.observations import read_only

T = TypeVar("T")

_ENTRIES: dict[int, tuple[tuple[weakref.ref, ...], Hashable, Any]] = {}
_NUMBERS = itertools.count()


def once_per(inputs: tuple[object, ...], label: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` the first time these very objects come with this label (names and numbers,
    compared by value); its read-only result every later time."""
    for refs, known, value in _ENTRIES.values():
        if known == label and len(refs) == len(inputs):
            if all(ref() is x for ref, x in zip(refs, inputs, strict=True)):
                return value
    value = compute()
    for part in value if isinstance(value, tuple) else (value,):
        read_only(part)
    key = next(_NUMBERS)
    _ENTRIES[key] = (tuple(weakref.ref(x) for x in inputs), label, value)
    for x in inputs:
        weakref.finalize(x, _ENTRIES.pop, key, None)
    return value
