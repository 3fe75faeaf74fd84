"""Check a command line's overrides before Hydra runs anything, and say what is wrong in one line.

Hydra rejects a misspelt key or an unknown group option with a multi-line message and no
suggestion, and in a sweep only once the launcher has started. This composes the config of every
job a sweep will run (the product of its command-line and preset `hydra.sweeper.params` values, as
Hydra's basic sweeper forms it), turns the first failure into a ConfigError naming the key, the
closest allowed name and the allowed names, and, given the app's own check, checks every value of
every job the same way before the first job starts. What only running can find (a design that
fails on a day's data) fails that job, and the sweep lists it and exits non-zero.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from toolkit.config import ConfigError, choice, unknown_key

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
_PLAIN_FLAGS = ("-m", "--multirun")
_NOT_IN_STRUCT = re.compile(r"Key '([^']+)' is not in struct\s+full_key: (\S+)")
_NOT_FOUND = re.compile(r"Could not (?:find|load) '([^']+)/([^'/]+)'")


def _parse(lines: Sequence[str]) -> list[Override]:
    try:
        return OverridesParser.create().parse_overrides(list(lines))
    except Exception as err:  # Hydra's parse errors name the override in their first line
        raise ConfigError(f"command line: {str(err).splitlines()[0]}") from err


def _composable(override: Override) -> bool:
    """Hydra's own overrides are Hydra's business, except the search path: it says where a user's
    config groups are."""
    return not override.is_hydra_override() or override.get_key_element() == "hydra.searchpath"


def sweep_jobs(config_dir: Path, config_name: str, args: Sequence[str]) -> list[list[str]]:
    """The override lists of every job the command line runs (composable ones only): the one run,
    or with -m the jobs Hydra's basic sweeper forms, from the config Hydra itself loads for a
    multirun (sweeps left out, Hydra's own overrides in): its `hydra.sweeper.params` and the task
    overrides, the command line winning for a key both set. Needs an initialised Hydra."""
    lines = [a for a in args if not a.startswith("-")]
    parsed = _parse(lines)
    if not any(a in _PLAIN_FLAGS for a in args):
        return [[o.input_line for o in parsed if _composable(o)]]
    loader = GlobalHydra.instance().config_loader()
    try:
        base = loader.load_configuration(config_name=config_name, overrides=lines, run_mode=RunMode.MULTIRUN)
    except Exception as err:  # explained on one job: each sweep at its first value (a glob too)
        first = [
            f"{o.get_key_element()}={next(iter(o.sweep_string_iterator()))}"
            if o.is_discrete_sweep()
            else o.input_line
            for o in OverridesParser.create(config_loader=loader).parse_overrides(lines)
            if _composable(o)
        ]
        raise _explain(err, config_dir, config_name, first) from err
    params = OmegaConf.select(base, "hydra.sweeper.params") or {}
    # the overrides as typed, as Hydra passes them on: an interpolation resolves in each job
    typed = OmegaConf.to_container(base.hydra.overrides.task, resolve=False)
    task = [*(f"{key}={value}" for key, value in params.items()), *typed]
    try:
        jobs = BasicSweeper.split_arguments(
            OverridesParser.create(config_loader=loader).parse_overrides(task), None
        )
    except Exception as err:  # a sweep the basic sweeper cannot take, e.g. interval(0,1)
        raise ConfigError(f"command line: {str(err).splitlines()[0]}") from err
    searchpath = [o.input_line for o in parsed if o.get_key_element() == "hydra.searchpath"]
    return [[*job, *searchpath] for job in jobs[0]]


def _unknown_key(config_name: str, job: list[str], full_key: str) -> ConfigError:
    parent_path = full_key.rsplit(".", 1)[0] if "." in full_key else ""
    others = [o for o in job if o.split("=", 1)[0].lstrip("+~") != full_key]
    cfg = compose(config_name=config_name, overrides=others)
    parent = OmegaConf.select(cfg, parent_path) if parent_path else cfg
    return unknown_key(full_key, parent.keys() if isinstance(parent, DictConfig) else ())


def _explain(err: Exception, config_dir: Path, config_name: str, job: list[str]) -> ConfigError:
    text = f"{err}\n{err.__cause__ or ''}"
    if match := _NOT_IN_STRUCT.search(text):
        return _unknown_key(config_name, job, match.group(2))
    if match := _NOT_FOUND.search(text):
        group, option = match.groups()
        allowed = sorted(path.stem for path in (config_dir / group).glob("*.yaml"))
        try:
            choice(option, allowed, group)
        except ConfigError as named:
            return named
    return ConfigError(f"command line: {str(err).splitlines()[0] if str(err) else type(err).__name__}")


_OPEN_GROUPS = ("sensor", "recognizer", "system")  # a new node may be added under these


def _check_appends(config_name: str, job: list[str]) -> None:
    """A `+key=value` into a section the config already fills is a misspelling, not a new
    parameter (nothing would read it): name the key and the closest one. New nodes (a sensor, a
    recognizer, a design of your own) and sections that start empty (a design's `beta`) are fine."""
    appends = [o for o in job if o.startswith("+") and "." in o.split("=", 1)[0]]
    if not appends:
        return
    base = compose(config_name=config_name, overrides=[o for o in job if not o.startswith("+")])
    for override in appends:
        full_key = override.lstrip("+").split("=", 1)[0]
        parent_path, key = full_key.rsplit(".", 1)
        parent = OmegaConf.select(base, parent_path)
        if parent_path in _OPEN_GROUPS or not isinstance(parent, DictConfig) or not len(parent):
            continue
        if key in parent:
            continue
        raise unknown_key(full_key, parent.keys())


def check_command_line(
    config_dir: Path,
    config_name: str,
    args: Sequence[str],
    check: Callable[[DictConfig], object] | None = None,
) -> None:
    """Raise ConfigError (one line) if any job of this command line would not compose, or, for a
    sweep, if `check` (the app's own check of a composed config, which raises ConfigError) refuses
    any job's values. Command lines with Hydra flags other than --multirun (--cfg, --config-name,
    ...) are left to Hydra."""
    if any(a.startswith("-") and a not in _PLAIN_FLAGS for a in args):
        return
    sweeping = any(a in _PLAIN_FLAGS for a in args)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        jobs = sweep_jobs(config_dir, config_name, args)
        for number, job in enumerate(jobs):
            try:
                cfg = compose(config_name=config_name, overrides=job)
            except Exception as err:
                raise _explain(err, config_dir, config_name, job) from err
            _check_appends(config_name, job)
            if check is not None and sweeping:
                try:
                    check(cfg)
                except ConfigError as err:
                    raise ConfigError(f"{err} (job {number + 1} of {len(jobs)}: {' '.join(job)})") from err
    GlobalHydra.instance().clear()


def exit_on_bad_command_line(config_name: str, check: Callable[[DictConfig], object] | None = None) -> None:
    """For the entry points: check sys.argv against `config_name` (and, in a sweep, every job's
    values with `check`); print one line and exit 2 if bad."""
    try:
        check_command_line(CONFIG_DIR, config_name, sys.argv[1:], check)
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)


def with_every_job(
    argv: list[str], config_name: str, key: str, size: Callable[[DictConfig], int]
) -> list[str]:
    """A sweep (-m) of an app whose jobs are numbered points of a design (sensitivity, decide)
    runs every point, `key=range(0,N)`, unless the command line says which; `size` reads N from
    the config as the first job composes it (another swept setting cannot change it). The
    preflight has vetted the command line."""
    args = argv[1:]
    if ("-m" not in args and "--multirun" not in args) or any(a.startswith(f"{key}=") for a in args):
        return argv
    overrides = _parse([a for a in args if not a.startswith("-")])
    plain = [o.input_line for o in overrides if not o.is_sweep_override() and not o.is_hydra_override()]
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=plain)
    return [*argv, f"{key}=range(0,{size(cfg)})"]
