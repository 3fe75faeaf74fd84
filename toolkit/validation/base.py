"""What a validation check is: real data in, rows of (real, simulated, tolerance, pass) out.

A check compares one statistic measured in data that others collected in the real world with the
same statistic from the toolkit's model (or a published figure with our reproduction of it). The
tolerance is part of the row, with its reason, so that a reader can judge it. A check whose data
folder is missing is skipped with a one-line reason, never failed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from scipy import stats

Z95 = float(stats.norm.ppf(0.975))  # two-sided 95 % normal quantile, for every interval of the table


class DataMissing(Exception):
    """The check's data is not on this machine: the check is skipped with this message."""


@dataclass(frozen=True)
class Row:
    """One line of the validation table.

    real: the statistic in the real data (or the published figure); simulated: the toolkit's (or
    our reproduction's). The row passes when they differ by at most `tolerance` (same unit).
    in_sample: the default under test was fitted to this very data, so the row shows the fit, not
    a test of it.
    """

    check: str
    statistic: str
    real: float
    simulated: float
    tolerance: float
    unit: str
    why_tolerance: str
    source: str
    in_sample: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.tolerance) and self.tolerance >= 0):
            raise ValueError(f"{self.check}: {self.statistic}: tolerance must be finite and >= 0")

    @property
    def difference(self) -> float:
        return self.simulated - self.real

    @property
    def passed(self) -> bool:
        return math.isfinite(self.difference) and abs(self.difference) <= self.tolerance

    def record(self) -> dict[str, object]:
        return {**asdict(self), "difference": self.difference, "passed": self.passed}


@dataclass(frozen=True)
class Skip:
    check: str
    reason: str


@runtime_checkable
class Check(Protocol):
    """A validation check. `folder` is its data folder under the data root (None: it needs none
    there, e.g. data from pip); `run` reads it, writes its figures into `out` and returns rows."""

    name: str
    folder: str | None

    def run(self, data: Path | None, out: Path) -> Sequence[Row]: ...


def data_folder(root: Path, folder: str, *must_exist: str) -> Path:
    """`root/folder`, or DataMissing naming what is absent (the folder or a file in it)."""
    path = root / folder
    if not path.is_dir():
        raise DataMissing(f"{path}: no such folder")
    for name in must_exist:
        if not (path / name).exists():
            raise DataMissing(f"{path / name}: missing")
    return path
