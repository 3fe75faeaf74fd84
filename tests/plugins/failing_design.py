"""A design that fails while running, on one seed's day only: no check before a sweep can see it
coming, so the sweep must record it, list it and exit non-zero."""

from __future__ import annotations

from typing import Any

from toolkit.systems import CheckoutSystem
from toolkit.world import World


class FailsOnSeed(CheckoutSystem):
    """The weight design, except that preparing for the day of `fail_seed` raises."""

    def __init__(self, name: str, fail_seed: int, **settings: Any) -> None:
        super().__init__(name, **settings)
        self.fail_seed = fail_seed

    def prepare(self, world: World, seed: int) -> None:
        if seed == self.fail_seed:
            raise RuntimeError(f"{self.name} breaks on the day of seed {seed}")
        super().prepare(world, seed)
