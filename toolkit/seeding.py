"""One root seed per run, split into an independent generator per named component.

Streams are keyed by name (not by position in a list), so adding a component or a system
never shifts another component's random numbers: every system sees the same visits and
the same sensor noise (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def component_rng(seed: int, *names: str) -> np.random.Generator:
    """The generator of component `names` (e.g. ``("sensor", "loadcell")``) under root `seed`."""
    if not names:
        raise ValueError("component_rng needs at least one component name")
    sequence = np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(_name_key(n) for n in names))
    return np.random.default_rng(sequence)
