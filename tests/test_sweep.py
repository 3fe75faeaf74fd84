"""Sweeps: resume without rerunning, failures recorded and listed, and every launcher."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import CONFIG_DIR, ROOT, run_sweep
from hydra import compose, initialize_config_dir

RAY_SITE = Path(os.environ.get("CHECKOUT_LAB_RAY_SITE", ROOT / ".venv" / "ray-site"))


def sweep(sweep_dir: Path, *overrides: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_sweep(sweep_dir, "system=[weight_only]", *overrides, env=env)


def test_a_rerun_of_a_finished_sweep_runs_no_job_twice(tmp_path):
    first = sweep(tmp_path, "hydra/launcher=local", "seed=0,1", "sensor.loadcell.noise_g=2,4")
    assert first.returncode == 0, first.stderr
    results = sorted(tmp_path.glob("*/metrics.json"))
    assert len(results) == 4
    stamps = {p: p.stat().st_mtime_ns for p in results}
    second = sweep(tmp_path, "hydra/launcher=local", "seed=0,1", "sensor.loadcell.noise_g=2,4")
    assert second.returncode == 0, second.stderr
    assert (second.stdout + second.stderr).count("already done, skipped") == 4
    assert {p: p.stat().st_mtime_ns for p in results} == stamps


def test_a_failing_job_is_recorded_and_the_sweep_goes_on(tmp_path):
    result = sweep(tmp_path, "hydra/launcher=local", "sensor.loadcell.noise_g=2,-1,3")
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.glob("*/metrics.json"))) == 2
    failures = json.loads((tmp_path / "failures.json").read_text())["failures"]
    assert len(failures) == 1 and failures[0]["error"] == "ConfigError"
    assert "sensor.loadcell.noise_g=-1" in failures[0]["overrides"]
    assert "1 job(s) of sweep" in result.stdout + result.stderr


def test_the_ray_launcher_runs_a_two_job_sweep_on_a_local_ray(tmp_path):
    if not (RAY_SITE / "hydra_plugins" / "hydra_ray_launcher").is_dir():
        pytest.skip(f"Ray could not be installed into {RAY_SITE} (make test installs it there when it can)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(RAY_SITE), os.environ.get("PYTHONPATH", "")])}
    result = sweep(tmp_path, "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2", "seed=0,1", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list(tmp_path.glob("*/metrics.json"))) == 2


def test_the_slurm_launcher_config_composes():
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("compare", overrides=["hydra/launcher=slurm"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert cfg.hydra.launcher.cpus_per_task == 1
