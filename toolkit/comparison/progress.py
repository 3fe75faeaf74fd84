"""A store-day's stages as a progress bar: on a terminal only, and gone when done, so output sent
to a file stays clean."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

from toolkit.comparison.pipeline import StageClock


class StageProgress(StageClock):
    """A StageClock that draws its stages as a progress bar on `stream` when it is a terminal."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        super().__init__()
        self.bar = tqdm(
            desc="store-day",
            unit="stage",
            file=stream,
            disable=not stream.isatty(),
            leave=False,
            delay=0.5,  # drawn once the stage count is known and a stage takes a while
            bar_format="{desc}: {n}/{total} stages |{bar:20}| {elapsed}{postfix}",
        )

    def expect(self, stages: int) -> None:
        self.bar.total = stages
        self.bar.refresh()

    @contextmanager
    def __call__(self, name: str, items: int | None = None) -> Iterator[None]:
        self.bar.set_postfix_str(name, refresh=True)
        with super().__call__(name, items):
            yield
        self.bar.update()

    def close(self) -> None:
        self.bar.close()
