"""Config checks that fail at start with one line naming the bad key.

Each config section is declared once in code as a `Settings` model (pydantic): every field's type
and range, next to the code that uses it; the values, with their sources, live in the YAML. A
section is checked as a whole when the comparison is planned: an unknown key is refused with the
closest name, the first bad value becomes one ConfigError line naming its full key. Hydra
catches unknown groups and misspelt keys of the composed config (struct mode).
"""

from __future__ import annotations

import difflib
import logging
import typing
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, ClassVar, Self

from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A config value is unusable; the message starts with the full key."""


def did_you_mean(value: str, allowed: Iterable[str]) -> str:
    """' (did you mean ...?)' with the closest allowed name, or '' when none is close."""
    close = difflib.get_close_matches(str(value), list(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key(full_key: str, allowed: Iterable[Any]) -> ConfigError:
    """The one-line error for a key its section does not have: the closest name, and the rest."""
    names = sorted(map(str, allowed))
    listed = f"; allowed: {', '.join(names)}" if names else ""
    key = full_key.rsplit(".", 1)[-1]
    return ConfigError(f"{full_key}: unknown key{did_you_mean(key, names)}{listed}")


def check_value(annotation: Any, value: Any, key: str) -> Any:
    """One value checked against a config type (`Count`, `NonNegative`, ...) outside a section;
    a bad one is one ConfigError line naming `key`."""
    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError as err:
        raise _one_line(err, None, key) from None


def choice(value: str, allowed: Iterable[str], full_key: str) -> str:
    """Check `value` is one of `allowed`; the error suggests the closest name."""
    allowed = list(allowed)
    if value in allowed:
        return value
    hint = did_you_mean(value, allowed)
    raise ConfigError(f"{full_key}: unknown value {value!r}{hint}; allowed: {', '.join(sorted(allowed))}")


def target_node(node: Any, path: str, example: str = "") -> dict[str, Any]:
    """A config node with a `_target_`, as a plain dict (a copy); otherwise one line naming `path`."""
    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node, resolve=True)
    if not isinstance(node, Mapping) or "_target_" not in node:
        raise ConfigError(f"{path}: needs a _target_{f' ({example})' if example else ''}")
    return dict(node)


def build_from_config(node: Any, path: str, **kwargs: Any) -> Any:
    """Build the object a config node's `_target_` names (Hydra's instantiate, `kwargs` added);
    a failure becomes one ConfigError line naming `path`."""
    node = target_node(node, path)
    try:
        built = instantiate(node, **kwargs)
    except Exception as err:
        cause: BaseException = err
        while cause.__cause__ is not None and not isinstance(cause, ConfigError):
            cause = cause.__cause__
        if isinstance(cause, ConfigError):  # it names its own key: say that, in one line
            raise cause from err
        model = _settings_built_by(node, cause)
        if model is not None:  # a Settings class refused its section: name the key
            raise _one_line(cause, model, model.config_path or path) from err
        # the innermost error says what is wrong (Hydra's own lines only say where it happened)
        reason = next((line for line in reversed(str(cause).splitlines()) if line.strip()), "")
        reason = reason.strip() or type(cause).__name__
        raise ConfigError(f"{path}: cannot build {node.get('_target_')!r}: {reason}") from err
    log.info("%s = %s", path, node["_target_"])
    return built


def _settings_built_by(node: Any, error: BaseException) -> type[Settings] | None:
    """The Settings class, among the `_target_`s of a node and its children, that raised `error`."""
    if not isinstance(error, ValidationError) or not isinstance(node, Mapping):
        return None
    target = node.get("_target_")
    if isinstance(target, str):
        try:
            found = get_class(target)
        except Exception:  # not a class, or not importable: the caller reports the first error
            found = None
        if isinstance(found, type) and issubclass(found, Settings) and found.__name__ == error.title:
            return found
    return next((m for v in node.values() if (m := _settings_built_by(v, error)) is not None), None)


def _a_number(value: Any) -> Any:
    """Numbers only: YAML and the command line give ints and floats; a string or a bool is a slip."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return value


def _a_whole_number(value: Any) -> Any:
    value = _a_number(value)
    if not float(value).is_integer():
        raise ValueError("expected an integer")
    return int(value)


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[0] >= pair[1]:
        raise ValueError("expected [low, high] with low < high")
    return pair


Real = Annotated[float, BeforeValidator(_a_number), Field(allow_inf_nan=False)]
NonNegative = Annotated[Real, Field(ge=0.0)]
Positive = Annotated[Real, Field(gt=0.0)]
Probability = Annotated[Real, Field(ge=0.0, le=1.0)]
Whole = Annotated[int, BeforeValidator(_a_whole_number)]
Flag = Annotated[bool, Field(strict=True)]  # true or false, nothing that merely converts to one
Count = Annotated[Whole, Field(ge=0)]
AtLeastOne = Annotated[Whole, Field(ge=1)]
Range = Annotated[tuple[Real, Real], AfterValidator(_ordered)]  # [low, high], low < high


class Settings(BaseModel):
    """A config section, declared once: each field's type and range. Build it with `from_config`.
    Checks across fields go in a `pydantic.model_validator(mode="after")` that raises
    ValueError("<field>: <what is wrong>"), so the one-line error names the full key."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    config_path: ClassVar[str] = ""  # where the section lives in the composed config

    def __init__(self, *args: Any, **data: Any) -> None:
        """Fields by keyword, or in declaration order like a dataclass."""
        fields = list(type(self).model_fields)
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, got {len(args)} positional")
        super().__init__(**dict(zip(fields, args, strict=False)), **data)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], path: str | None = None) -> Self:
        path = cls.config_path if path is None else path
        data = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
        data.pop("_target_", None)  # the class that reads the section, the builder's business
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            raise _one_line(err, cls, path) from None


def _annotation_at(model: type, loc: list[str]) -> Any:
    """The type a model declares at a nested location (None if there is none)."""
    annotation: Any = model
    for part in loc:
        fields = getattr(annotation, "model_fields", None)
        if fields is None or part not in fields:
            return None
        annotation = fields[part].annotation
    return annotation


def _one_line(err: ValidationError, model: type | None, path: str) -> ConfigError:
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = ".".join([path, *loc] if path else loc)
    kind, ctx, value = first["type"], first.get("ctx", {}), first.get("input")
    if kind == "extra_forbidden":
        return unknown_key(key, getattr(_annotation_at(model, loc[:-1]), "model_fields", {}))
    if kind == "missing":
        return ConfigError(f"{key}: missing")
    if kind == "literal_error":
        try:
            choice(str(value), [str(a) for a in typing.get_args(_annotation_at(model, loc))], key)
        except ConfigError as named:
            return named
    if kind == "value_error":
        message = str(first["msg"]).removeprefix("Value error, ")
        field, _, rest = message.partition(": ")
        if rest and field in getattr(_annotation_at(model, loc), "model_fields", {}):
            return ConfigError(f"{key}.{field}: {rest}")
        return ConfigError(f"{key}: {message}, got {value!r}")
    bounds = {
        "greater_than_equal": f"must be >= {ctx.get('ge')}",
        "greater_than": f"must be > {ctx.get('gt')}",
        "less_than_equal": f"must be <= {ctx.get('le')}",
        "less_than": f"must be < {ctx.get('lt')}",
        "finite_number": "must be finite",
        "int_from_float": "expected an integer",
    }
    message = bounds.get(kind, str(first["msg"]).lower())
    return ConfigError(f"{key}: {message}, got {value!r}")
