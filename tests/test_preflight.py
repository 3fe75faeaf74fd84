"""A command line's misspelt keys and unknown options fail before any work, in one line."""

from __future__ import annotations

import pytest
from conftest import CONFIG_DIR
from hydra import compose, initialize_config_dir

from toolkit.config import ConfigError
from toolkit.preflight import check_command_line, sweep_jobs


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
        (["-m", "catalog=glob(gro*)", "store.n_shelfs=4"], "store.n_shelfs: unknown key"),
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


def _jobs(args: list[str]) -> list[list[str]]:
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return sweep_jobs(CONFIG_DIR, "compare", args)


def test_a_sweep_is_checked_on_every_job_hydra_will_run():
    jobs = _jobs(
        ["-m", "seed=0,1,2", "catalog=convenience,grocery", "hydra.sweep.dir=x", "store.n_shelves=4"]
    )
    assert jobs == [
        [f"seed={s}", f"catalog={c}", "store.n_shelves=4"]
        for s in (0, 1, 2)
        for c in ("convenience", "grocery")
    ]
    # a preset's own sweep joins in, and the command line wins for a key both set
    preset = _jobs(["-m", "experiment=break_even", "seed=3"])
    assert len(preset) == 4 * 3
    assert {job[2] for job in preset} == {"seed=3"}
    assert _jobs(["seed=4"]) == [["seed=4"]]
    # as Hydra loads a multirun: a swept group option brings no preset params, Hydra's own
    # overrides of them count, and a glob sweeps the group's options
    assert _jobs(["-m", "experiment=accuracy_vs_cost,data_yield"]) == [
        ["experiment=accuracy_vs_cost"],
        ["experiment=data_yield"],
    ]
    own_seed = _jobs(["-m", "experiment=break_even", "hydra.sweeper.params.seed=7"])
    assert {job[2] for job in own_seed} == {"seed=7"}
    assert _jobs(["-m", "catalog=glob(gro*)"]) == [["catalog=grocery"]]
    # an interpolation is not resolved against the defaults: it resolves in each job, as in Hydra's
    jobs = _jobs(["-m", "seed=0,1", "store_seed=${seed}"])
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        assert [compose(config_name="compare", overrides=job).store_seed for job in jobs] == [0, 1]


def test_every_value_of_every_job_is_checked_and_the_job_named():
    seen: list[int] = []

    def check(cfg):
        seen.append(cfg.seed)
        if cfg.seed == 2 and cfg.catalog.n_skus > 100:  # a refusal only one combination meets
            raise ConfigError("seed: not with this catalog, got 2")

    with pytest.raises(ConfigError) as caught:
        check_command_line(CONFIG_DIR, "compare", ["-m", "seed=0,1,2", "catalog=convenience,grocery"], check)
    assert str(caught.value) == "seed: not with this catalog, got 2 (job 6 of 6: seed=2 catalog=grocery)"
    assert seen == [0, 0, 1, 1, 2, 2]
    seen.clear()
    check_command_line(
        CONFIG_DIR, "compare", ["seed=2", "catalog=grocery"], check
    )  # a single run plans itself
    assert seen == []
