"""Check a command line's overrides before Hydra runs anything, and say what is wrong in one line.

Hydra rejects a misspelt key or an unknown group option with a multi-line message and no
suggestion, and in a sweep only once the launcher has started. This composes the config of every
value each override takes (a sweep's values are spread over as few jobs as cover them all) and
turns the first failure into a ConfigError naming the key, the closest allowed name and the
allowed names. Values are not judged here: the run checks them (a bad value fails that job of a
sweep and the others go on).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from toolkit.config import ConfigError, choice, unknown_key

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
_NOT_IN_STRUCT = re.compile(r"Key '([^']+)' is not in struct\s+full_key: (\S+)")
_NOT_FOUND = re.compile(r"Could not (?:find|load) '([^']+)/([^'/]+)'")


def job_overrides(args: Sequence[str]) -> list[list[str]]:
    """The override lists of as few jobs as take every value of every sweep at least once
    (command-line flags and Hydra's own overrides left out, except the search path, which says
    where a user's config groups are)."""
    lines = [a for a in args if not a.startswith("-")]
    try:
        parsed = OverridesParser.create().parse_overrides(lines)
    except Exception as err:  # Hydra's parse errors name the override in their first line
        raise ConfigError(f"command line: {str(err).splitlines()[0]}") from err
    values = [
        [f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()]
        if o.is_sweep_override()
        else [o.input_line]
        for o in parsed
        if not o.is_hydra_override() or o.get_key_element() == "hydra.searchpath"
    ]
    width = max((len(v) for v in values), default=1)
    return [[v[i % len(v)] for v in values] for i in range(width)]


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


_PLAIN_FLAGS = ("-m", "--multirun")
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


def check_command_line(config_dir: Path, config_name: str, args: Sequence[str]) -> None:
    """Raise ConfigError (one line) if any job of this command line would not compose. Command
    lines with Hydra flags other than --multirun (--cfg, --config-name, ...) are left to Hydra."""
    if any(a.startswith("-") and a not in _PLAIN_FLAGS for a in args):
        return
    jobs = job_overrides(args)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        for job in jobs:
            try:
                compose(config_name=config_name, overrides=job)
            except Exception as err:
                raise _explain(err, config_dir, config_name, job) from err
            _check_appends(config_name, job)
    GlobalHydra.instance().clear()


def exit_on_bad_command_line(config_name: str) -> None:
    """For the entry points: check sys.argv against `config_name`; print one line and exit 2 if bad."""
    try:
        check_command_line(CONFIG_DIR, config_name, sys.argv[1:])
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        sys.exit(2)
