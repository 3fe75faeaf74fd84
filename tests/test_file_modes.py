"""Colleagues on a shared machine can read what a run writes: files honour the umask, as any file
the user creates (a temporary file alone would be private)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TINY

from toolkit.io import write_text_atomic


def _with_umask(mask: int):
    def set_mask() -> None:
        os.umask(mask)

    return set_mask


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_the_atomic_writer_gives_what_the_umask_allows(tmp_path, mask, mode):
    script = (
        f"from toolkit.io import write_text_atomic; write_text_atomic({str(tmp_path / 'a.json')!r}, '{{}}')"
    )
    subprocess.run([sys.executable, "-c", script], check=True, preexec_fn=_with_umask(mask))
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == mode


def test_a_rewrite_keeps_no_temporary_file(tmp_path):
    write_text_atomic(tmp_path / "a.txt", "one")
    write_text_atomic(tmp_path / "a.txt", "two")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def _unreadable(root: Path) -> list[str]:
    """Files not readable by group and others, folders they cannot enter."""
    wanted = stat.S_IRGRP | stat.S_IROTH
    bad = []
    for path in root.rglob("*"):
        need = wanted | stat.S_IXGRP | stat.S_IXOTH if path.is_dir() else wanted
        if stat.S_IMODE(path.stat().st_mode) & need != need:
            bad.append(f"{path.relative_to(root)} {stat.filemode(path.stat().st_mode)}")
    return bad


@pytest.mark.e2e
def test_runs_sweeps_reports_and_the_cache_are_readable_by_others_under_umask_022(tmp_path):
    env = {**os.environ, "CHECKOUT_LAB_CACHE": str(tmp_path / "cache")}  # a CNN trained and cached here

    def run(script: str, *args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, str(ROOT / "experiments" / script), *args]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            preexec_fn=_with_umask(0o022),
            timeout=600,
        )

    sweep = run(
        "compare.py",
        "-m",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        *TINY,
        "system=[vision_weight,rfid_gate]",
        "vision.train.steps=10",  # a CNN for the cache, not for accuracy
        "vision.train.train_per_class=4",
        "vision.train.holdout_per_class=2",
        "sensor.presence.mode=direct",
        "seed=0,1",
    )
    assert sweep.returncode == 0, sweep.stderr
    report = run("report.py", str(tmp_path / "sweep"))
    assert report.returncode == 0, report.stderr
    written = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    for name in ("metrics.json", "comparison.png", "failures.json", "results.csv", "summary.csv"):
        assert name in written
    assert list((tmp_path / "cache").glob("*.pt")), "no CNN was cached"
    assert _unreadable(tmp_path) == []
