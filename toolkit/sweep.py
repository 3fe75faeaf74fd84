"""Sweeps that survive: skip jobs already done, record a failing job's error and carry on, and
list every failure when the sweep ends, exiting non-zero (Hydra gives none of these by itself)."""

from __future__ import annotations

import hashlib
import json
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from toolkit.io import write_json_atomic

RESULT_FILE = "metrics.json"
ERROR_FILE = "error.json"


def config_hash(cfg: DictConfig) -> str:
    """A digest of the fully resolved job config (Hydra's own settings are not part of it)."""
    container = OmegaConf.to_container(cfg, resolve=True)
    text = json.dumps(container, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def already_done(out_dir: Path, digest: str, result_file: str = RESULT_FILE) -> bool:
    """True if this directory holds a finished result of exactly this config."""
    path = out_dir / result_file
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text()).get("config_hash") == digest
    except (OSError, json.JSONDecodeError):
        return False


def record_failure(out_dir: Path, error: BaseException, overrides: Sequence[str]) -> Path:
    """Write the job's error next to where its result would have been."""
    path = out_dir / ERROR_FILE
    write_json_atomic(
        path,
        {
            "overrides": list(overrides),
            "error": type(error).__name__,
            "message": str(error),
            "traceback": traceback.format_exception(error),
        },
    )
    return path


def records_by_point(sweep_dir: Path, section: str) -> dict[int, dict[str, Any]]:
    """The finished jobs of an app whose jobs are numbered points (sensitivity, decide): each
    job's metrics.json that records `section`, by its point."""
    records = {}
    for path in Path(sweep_dir).glob(f"*/{RESULT_FILE}"):
        record = json.loads(path.read_text())
        if section in record:
            records[int(record[section]["point"])] = record
    return records


def _stamp(path: Path) -> tuple[int, int]:
    """A file's identity: the atomic writer renames a new file into place, so a rewrite is a new
    inode (no clock involved, so no skew between the driver and the file system)."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def failures(sweep_dir: Path, before: Mapping[Path, tuple[int, int]] | None = None) -> list[dict[str, Any]]:
    """Every failure recorded under a sweep directory (leaving out the files `before` lists as they
    were then: `_stamp`s of error.json files that predate the sweep), with where it was written."""
    before = before or {}
    found = []
    for path in sorted(Path(sweep_dir).rglob(ERROR_FILE)):
        if before.get(path) == _stamp(path):
            continue
        entry = json.loads(path.read_text())
        entry["path"] = str(path)
        found.append(entry)
    return found


class SweepReport(Callback):
    """Hydra callback: when a multirun ends, list every job of this sweep that failed, write them
    to failures.json in the sweep directory (rerun the sweep to retry just those) and exit with
    status 1, so a script or a scheduler sees that the sweep is not whole. An error.json the sweep
    found and did not rewrite is a leftover of a folder it did not run (each job clears its own)."""

    def __init__(self) -> None:
        self.before: dict[Path, tuple[int, int]] = {}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.before = {p: _stamp(p) for p in Path(config.hydra.sweep.dir).rglob(ERROR_FILE)}

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        failed = failures(sweep_dir, self.before)
        write_json_atomic(sweep_dir / "failures.json", {"failures": failed})
        if not failed:  # printed: the logging handlers are the last job's by now
            print(f"sweep {sweep_dir}: every job finished")
            return
        lines = [f"  {' '.join(f['overrides'])}: {f['error']}: {f['message']} ({f['path']})" for f in failed]
        print(f"{len(failed)} job(s) of sweep {sweep_dir} failed:\n" + "\n".join(lines), file=sys.stderr)
        raise SystemExit(1)  # Hydra's callback runner stops Exceptions, not SystemExit
