"""Sweeps: resume without rerunning, failures recorded and listed, and every launcher."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from conftest import CONFIG_DIR, PLUGINS, ROOT, TINY, run_sweep
from hydra import compose, initialize_config_dir

from toolkit.preflight import sweep_jobs

RAY_SITE = Path(os.environ.get("CHECKOUT_LAB_RAY_SITE", ROOT / ".venv" / "ray-site"))


def sweep(sweep_dir: Path, *overrides: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_sweep(sweep_dir, "system=[weight_only]", *overrides, env=env)


@pytest.mark.slow
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


@pytest.mark.e2e
def test_a_job_failing_at_run_time_is_recorded_the_sweep_goes_on_and_exits_non_zero(tmp_path):
    # a user's design that breaks on the day of seed 1: nothing before the sweep can see it coming
    env = {**os.environ, "PYTHONPATH": str(PLUGINS)}
    result = run_sweep(
        tmp_path,
        "hydra/launcher=local",
        f"hydra.searchpath=[file://{PLUGINS / 'conf'}]",
        "system=[weight_only,fails_on_seed]",
        "sensor.presence.mode=direct",  # about failures, not tracking: the quick presence model
        "seed=0,1,2",
        env=env,
    )
    assert result.returncode == 1, result.stderr
    assert len(list(tmp_path.glob("*/metrics.json"))) == 2
    # the preflight checked exactly the jobs Hydra ran
    ran = sorted(yaml.safe_load(p.read_text()) for p in tmp_path.glob("*/.hydra/overrides.yaml"))
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        checked = sweep_jobs(CONFIG_DIR, "compare", result.args[2:])
    assert sorted([o for o in job if not o.startswith("hydra.")] for job in checked) == ran
    failures = json.loads((tmp_path / "failures.json").read_text())["failures"]
    assert len(failures) == 1 and failures[0]["error"] == "RuntimeError"
    assert "seed=1" in failures[0]["overrides"]
    listed = (result.stdout + result.stderr).split("1 job(s) of sweep", 1)
    assert len(listed) == 2 and "seed=1" in listed[1] and "breaks on the day of seed 1" in listed[1]


@pytest.mark.e2e
def test_failures_of_an_earlier_sweep_are_not_this_ones(tmp_path):
    """A job clears its folder's old error.json (also when it is already done), and a leftover
    folder the sweep does not run is not listed: the rerun of a mended sweep exits 0."""
    for job in ("0", "7"):  # job 0 runs in this sweep; job 7 was a job of a larger, older one
        (tmp_path / job).mkdir(parents=True)
        (tmp_path / job / "error.json").write_text('{"overrides": [], "error": "E", "message": "old"}')
        os.utime(tmp_path / job / "error.json", (0, 0))
    result = sweep(tmp_path, "hydra/launcher=local", "sensor.presence.mode=direct", "seed=0,1")
    assert result.returncode == 0, result.stderr
    assert "every job finished" in result.stdout
    assert not (tmp_path / "0" / "error.json").exists()
    assert json.loads((tmp_path / "failures.json").read_text()) == {"failures": []}


@pytest.mark.e2e
def test_a_sweep_with_one_bad_value_fails_before_any_job_in_one_line(tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = sweep(sweep_dir, "hydra/launcher=local", "seed=0,1", "sensor.loadcell.noise_g=2,-1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "config error: sensor.loadcell.noise_g: must be >= 0.0, got -1 "
        "(job 2 of 4: debug=tiny system=[weight_only] seed=0 sensor.loadcell.noise_g=-1)"
    ]
    assert not sweep_dir.exists()  # no job ran, nothing was written


@pytest.mark.slow
def test_one_or_two_joblib_workers_give_byte_identical_results(tmp_path):
    for workers in (1, 2):
        result = run_sweep(
            tmp_path / f"w{workers}", "hydra/launcher=local", f"hydra.launcher.n_jobs={workers}", "seed=0,1"
        )
        assert result.returncode == 0, result.stderr
    for job in ("0", "1"):
        one, two = ((tmp_path / f"w{n}" / job / "metrics.json").read_bytes() for n in (1, 2))
        assert one == two


@pytest.mark.slow
def test_a_local_sweep_worker_loads_the_cnn_once_for_many_jobs(tmp_path):
    """Six store-days of one store on two workers: loky keeps each worker process for every job it
    runs, so the CNN leaves the cache folder at most once per worker (then from memory)."""
    first = run_sweep(tmp_path / "warm", "system=[vision_weight]")  # the CNN in the cache folder
    assert first.returncode == 0, first.stderr
    result = run_sweep(
        tmp_path / "sweep",
        "system=[vision_weight]",
        "hydra/launcher=local",
        "sensor.loadcell.noise_g=2,3,4,5,6,7",
    )
    assert result.returncode == 0, result.stderr
    logs = sorted((tmp_path / "sweep").glob("*/compare.log"))
    assert len(logs) == 6
    loaded = [log for log in logs if "vision model from cache" in log.read_text()]
    assert 1 <= len(loaded) <= 2


@pytest.mark.slow
def test_a_sweep_killed_mid_job_leaves_no_half_written_result_and_the_rerun_completes_it(tmp_path):
    command = [
        sys.executable,
        str(ROOT / "experiments" / "compare.py"),
        "-m",
        f"hydra.sweep.dir={tmp_path}",
        *TINY,
        "system=[weight_only]",
        "seed=0,1,2",
    ]
    job = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    first = tmp_path / "0" / "metrics.json"
    deadline = time.monotonic() + 300
    while not first.exists() and time.monotonic() < deadline and job.poll() is None:
        time.sleep(0.05)
    os.killpg(job.pid, signal.SIGKILL)  # the next job is running by now
    job.wait()
    written = list(tmp_path.glob("*/metrics.json"))
    assert first in written and len(written) < 3
    for path in written:
        json.loads(path.read_text())  # whole, or not there at all
    stamp = first.stat().st_mtime_ns
    rerun = sweep(tmp_path, "seed=0,1,2")
    assert rerun.returncode == 0, rerun.stderr
    assert len(list(tmp_path.glob("*/metrics.json"))) == 3
    assert first.stat().st_mtime_ns == stamp  # the finished job was not run again


WRITER = """
import sys
from pathlib import Path
from toolkit.io import write_json_atomic
target = Path(sys.argv[1])
version = 0
while True:
    version += 1
    write_json_atomic(target, {"version": version, "payload": list(range(200_000))})
"""


@pytest.mark.e2e
def test_a_writer_killed_at_any_moment_leaves_a_whole_file(tmp_path):
    for attempt, delay in enumerate((0.013, 0.057, 0.101)):  # not multiples of one write's time
        target = tmp_path / str(attempt) / "metrics.json"
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT)
        deadline = time.monotonic() + 120
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)  # rewriting it over and over by now
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        record = json.loads(target.read_text())
        assert record["version"] >= 1 and len(record["payload"]) == 200_000


def _ray_env() -> dict:
    if not (RAY_SITE / "hydra_plugins" / "hydra_ray_launcher").is_dir():
        pytest.skip(f"Ray could not be installed into {RAY_SITE} (make test-all installs it where it can)")
    path = os.pathsep.join([str(RAY_SITE), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "RAY_AUTH_MODE": "disabled"}


def _same_bytes(one: Path, two: Path, jobs: int) -> None:
    for job in map(str, range(jobs)):
        assert (one / job / "metrics.json").read_bytes() == (two / job / "metrics.json").read_bytes()


@pytest.mark.slow
def test_the_ray_launcher_gives_the_local_launchers_bytes(tmp_path):
    env = _ray_env()
    jobs = ("seed=0,1",)
    ray = sweep(tmp_path / "ray", "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2", *jobs, env=env)
    assert ray.returncode == 0, ray.stderr[-3000:]
    local = sweep(tmp_path / "local", "hydra/launcher=local", *jobs)
    assert local.returncode == 0, local.stderr
    _same_bytes(tmp_path / "ray", tmp_path / "local", 2)


@pytest.mark.slow
def test_a_sweep_runs_on_an_existing_ray_cluster_by_its_address(tmp_path):
    """The README's cluster command, against a head started here the way a cluster's is."""
    env = _ray_env()
    ray = str(RAY_SITE / "bin" / "ray")
    port = "6391"
    sessions = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths have a limit
    head = subprocess.Popen(
        [
            sys.executable,
            ray,
            "start",
            "--head",
            "--block",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            "--num-cpus=2",
            "--include-dashboard=false",
            f"--temp-dir={sessions}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        launcher = ["hydra/launcher=ray_cluster", f"hydra.launcher.ray.init.address=127.0.0.1:{port}"]
        result = sweep(tmp_path / "cluster", *launcher, "sensor.loadcell.noise_g=2,4", env=env)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait(timeout=60)
        shutil.rmtree(sessions, ignore_errors=True)
    local = sweep(tmp_path / "local", "hydra/launcher=local", "sensor.loadcell.noise_g=2,4")
    assert local.returncode == 0, local.stderr
    _same_bytes(tmp_path / "cluster", tmp_path / "local", 2)


def test_the_slurm_launcher_config_composes():
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("compare", overrides=["hydra/launcher=slurm"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert cfg.hydra.launcher.cpus_per_task == 1
