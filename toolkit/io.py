"""The one way results reach the disk: whole files or nothing.

A sweep is read while it runs and may be killed at any moment, so every file (metrics, tables,
failure lists, model checkpoints) is written to a temporary file beside its target, synced, and
renamed over it. Readers never see half a file. Files get the permissions the umask allows, as
any other file the user creates (mkstemp alone would make them private).
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

log = logging.getLogger(__name__)


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would, for a moment, in every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # no /proc: the only portable way, briefly
    os.umask(mask)
    return mask


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call `write` on a temporary file beside `path`, fsync it, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda fh: fh.write(text.encode()))


def jsonable(value: Any, key: str = "") -> Any:
    """Plain JSON values; a NaN or infinite number becomes null with a warning naming its key (it
    would be invalid JSON, and an undefined metric must read as missing, not as a number)."""
    if isinstance(value, dict):
        return {k: jsonable(v, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        log.warning("%s is %s: written as null", key, value)
        return None
    return value


def write_json_atomic(path: Path, record: Mapping[str, Any]) -> None:
    """A record as indented JSON (NaN and infinities as null), atomically."""
    text = json.dumps(jsonable(dict(record)), indent=2, sort_keys=False, allow_nan=False) + "\n"
    write_text_atomic(path, text)
