"""A command line's misspelt keys and unknown options fail before any work, in one line."""

from __future__ import annotations

import pytest
from conftest import CONFIG_DIR

from toolkit.config import ConfigError
from toolkit.preflight import check_command_line, job_overrides


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["catalog=grocey"], "catalog: unknown value 'grocey' (did you mean 'grocery'?)"),
        (["sensor=[loadcell,presense]"], "sensor: unknown value 'presense' (did you mean 'presence'?)"),
        (
            ["shoppers.visit_per_day=3"],
            "shoppers.visit_per_day: unknown key (did you mean 'visits_per_day'?)",
        ),
        (["tracking.gate_chi=3"], "tracking.gate_chi: unknown key (did you mean 'gate_chi2'?)"),
        (["-m", "seed=0,1", "store.n_shelfs=4,8"], "store.n_shelfs: unknown key (did you mean 'n_shelves'?)"),
        (["-m", "catalog=convenience,grocey"], "catalog: unknown value 'grocey'"),
        (["seed=[0,"], "command line:"),
        (["+sensor.loadcell.noize_g=3"], "sensor.loadcell.noize_g: unknown key (did you mean 'noise_g'?)"),
        (
            ["-m", "seed=0,1", "+system.weight_only.prior.kapa=3"],
            "system.weight_only.prior.kapa: unknown key (did you mean 'kappa'?)",
        ),
    ],
)
def test_bad_command_lines_name_the_key_and_the_closest_name(args, message):
    with pytest.raises(ConfigError) as caught:
        check_command_line(CONFIG_DIR, "compare", args)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_good_command_lines_pass_and_hydra_overrides_are_left_to_hydra():
    check_command_line(
        CONFIG_DIR,
        "compare",
        ["-m", "seed=0,1,2", "system=[weight_only,rfid_gate]", "hydra/launcher=local", "hydra.sweep.dir=x"],
    )
    check_command_line(CONFIG_DIR, "train_vision", ["vision.train.model=resnet18"])
    # appending is for what is new: a node of your own, or a key of a section that starts empty
    check_command_line(
        CONFIG_DIR,
        "compare",
        [
            "+recognizer.student_t._target_=my.StudentT",
            "+recognizer.student_t.dof=2",
            "+system.weight_only.beta.weight=0.5",
        ],
    )


def test_a_sweep_is_checked_on_as_few_jobs_as_cover_every_value():
    jobs = job_overrides(
        ["-m", "seed=0,1,2", "catalog=convenience,grocery", "hydra.sweep.dir=x", "store.n_shelves=4"]
    )
    assert len(jobs) == 3
    assert {job[0] for job in jobs} == {"seed=0", "seed=1", "seed=2"}
    assert {job[1] for job in jobs} == {"catalog=convenience", "catalog=grocery"}
    assert all(job[2] == "store.n_shelves=4" for job in jobs)
