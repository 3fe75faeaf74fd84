"""Config checks that fail at start with one line naming the bad key.

Hydra catches unknown groups and misspelt keys (struct mode); these helpers catch bad values
(negative noise, a probability above 1, an empty catalog) before any work starts.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A config value is unusable; the message starts with the full key."""


def number(
    node: Mapping[str, Any],
    key: str,
    path: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    integer: bool = False,
) -> Any:
    """Return ``node[key]`` after checking it is a number in range; raise ConfigError naming ``path.key``."""
    full = f"{path}.{key}" if path else key
    if key not in node:
        raise ConfigError(f"{full}: missing")
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{full}: expected a number, got {value!r}")
    if integer and not float(value).is_integer():
        raise ConfigError(f"{full}: expected an integer, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{full}: must be finite, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ConfigError(f"{full}: must be {bound}, got {value!r}")
    if high is not None and value > high:
        raise ConfigError(f"{full}: must be <= {high}, got {value!r}")
    return int(value) if integer else float(value)


def probability(node: Mapping[str, Any], key: str, path: str) -> float:
    """A value in [0, 1]."""
    return number(node, key, path, low=0.0, high=1.0)


def choice(value: str, allowed: Iterable[str], full_key: str) -> str:
    """Check `value` is one of `allowed`; the error suggests the closest name."""
    allowed = list(allowed)
    if value in allowed:
        return value
    close = difflib.get_close_matches(str(value), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"{full_key}: unknown value {value!r}{hint}; allowed: {', '.join(sorted(allowed))}")


def build_from_config(node: Any, path: str, **kwargs: Any) -> Any:
    """Build the object a config node's `_target_` names (Hydra's instantiate, `kwargs` added);
    a failure becomes one ConfigError line naming `path`."""
    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node, resolve=True)
    if not isinstance(node, dict) or "_target_" not in node:
        raise ConfigError(f"{path}: needs a _target_")
    try:
        built = instantiate(node, **kwargs)
    except Exception as err:
        cause = err
        while cause.__cause__ is not None and not isinstance(cause, ConfigError):
            cause = cause.__cause__
        if isinstance(cause, ConfigError):  # it names its own key: say that, in one line
            raise cause from err
        first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"{path}: cannot build {node.get('_target_')!r}: {first_line}") from err
    log.info("%s = %s", path, node["_target_"])
    return built
