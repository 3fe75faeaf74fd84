"""The Detego RFID check (toolkit/validation/detego.py): the calibration recovers a link the
toolkit's own reader model generated, the check runs on a slice of the real logs, and a bad
setting is one line naming its key."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import CONFIG_DIR, ROOT
from hydra import compose, initialize_config_dir

from toolkit.config import ConfigError, build_from_config
from toolkit.validation.detego import (
    DetegoCheck,
    DetegoSettings,
    Experiment,
    Link,
    Scene,
    calibrate,
    real_tag_dwells,
    simulate,
    summary,
)

DATA_ROOT = Path(os.environ.get("CHECKOUT_LAB_DATA", ROOT.parent / "shared" / "data"))
SLICE = "validation.detego.experiments=[9,10,11,34,35,36]"  # two groups: 4 fitted, 2 held out


def detego_node(*overrides: str):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="validate", overrides=["validation=[detego]", *overrides])
    return cfg.validation.detego


def synthetic(settings: DetegoSettings, truth: Link, n: int = 8) -> list[Experiment]:
    """Experiments of the 2-D layout (7 panels) whose reads the toolkit's reader produced
    (run_inventory, fading per dwell) for the link `truth`: one read per tag-dwell read."""
    empty = np.zeros(0)
    shells = [
        Experiment(i, i // 2, "2d", "walking", 1 + i % 2, 70, 20.0 * (1 + i % 2), empty, empty, empty)
        for i in range(n)
    ]
    scene = Scene(shells, settings, "truth")
    seen = simulate(scene, truth, settings.link_profile, "truth")
    out = []
    for index, shell in enumerate(shells):
        mine = np.flatnonzero((scene.exp == index) & seen.read)
        ms = scene.dwell[mine] * round(settings.antenna_dwell_s * 1000) + 50
        order = np.argsort(ms, kind="stable")
        out.append(
            Experiment(
                shell.number,
                shell.group,
                shell.setup,
                shell.motion,
                shell.laps,
                shell.n_tags,
                shell.duration_s,
                ms[order].astype(np.int64),
                scene.tag[mine][order],
                seen.rssi[mine][order],
            )
        )
    return out


def test_calibration_recovers_the_link_the_toolkits_reader_generated():
    settings = DetegoSettings.from_config(detego_node())
    truth = Link(
        margin_offset_db=-18.0,
        fading_sigma_db=1.5,
        stand_off_spread_m=0.1,
        rssi_offset_dbm=-70.0,
        rssi_noise_db=1.0,
    )
    experiments = synthetic(settings, truth)
    scene = Scene(experiments, settings, "fit")  # other geometry draws than the truth's
    real, stderr = summary(scene, real_tag_dwells(scene), settings.saturated_tags)
    start = Link(0.0, 5.0, 0.2, 0.0, truth.rssi_noise_db)  # the gate's defaults
    fit = calibrate(scene, real, stderr, start, list(settings.fit), settings.max_evaluations)
    for name in ("margin_offset_db", "fading_sigma_db", "stand_off_spread_m", "rssi_offset_dbm"):
        error = fit.stderr[name]
        assert math.isfinite(error) and error > 0, name
        assert abs(getattr(fit.link, name) - getattr(truth, name)) <= 3.0 * error, (
            name,
            fit.link,
            fit.stderr,
        )
    assert fit.chi2 < 12.0  # chi-square with 2 dof: far below 12 unless the model cannot fit itself


def test_check_runs_on_a_slice_of_the_real_logs(tmp_path):
    folder = DATA_ROOT / "detego_rfid"
    if not (folder / "dataset.zip").is_file():
        pytest.skip(f"{folder}: the Detego read logs are not on this machine")
    check = build_from_config(detego_node(SLICE, "validation.detego.max_evaluations=60"), "validation.detego")
    assert isinstance(check, DetegoCheck)
    rows = check.run(folder, tmp_path)
    assert len(rows) == 18
    for row in rows:
        assert math.isfinite(row.real) and math.isfinite(row.simulated) and math.isfinite(row.tolerance), row
    assert (tmp_path / "detego_rfid.png").stat().st_size > 0
    assert (tmp_path / "detego_rfid.pdf").stat().st_size > 0
    assert (tmp_path / "detego_fit.json").stat().st_size > 0
    assert check.record["experiments"] == {"fit": [9, 11, 34, 36], "held_out": [10, 35]}


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("validation.detego.stand_off_m=-1", r"validation\.detego\.stand_off_m"),
        ("validation.detego.fit=[body_loss_db]", r"validation\.detego\.fit"),
        ("validation.detego.holdout_every=1", r"validation\.detego\.holdout_every"),
        ("validation.detego.min_distance_m=2", r"validation\.detego\.min_distance_m"),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_key(override, key):
    with pytest.raises(ConfigError, match=key) as error:
        build_from_config(detego_node(override), "validation.detego")
    assert "\n" not in str(error.value)
