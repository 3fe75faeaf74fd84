"""Designs by name: each `system.<name>` node is built by its `_target_`, with fresh instances of
the recognizers it names, and checked against the design protocol."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from toolkit.config import ConfigError, build_from_config, choice, target_node
from toolkit.systems.base import CheckoutDesign, check_system_shape

_NAME = re.compile(r"[A-Za-z0-9_.+-]+")


def shown_names(systems_cfg: Mapping[str, Any], reserved: Collection[str] = ()) -> dict[str, str]:
    """{config key: the name its rows, tables and figures show}: a design's `name` if set (a
    modified design under a name of its own), else its key. A name may not be another design's,
    nor one of `reserved` (the built-in designs' names, selected or not), so a row never shows an
    old name for a new design. Random streams and error messages keep the key, so renaming
    changes no result."""
    shown = {}
    for key, node in systems_cfg.items():
        name = node.get("name") if isinstance(node, Mapping) else None
        if name is None or name == key:
            shown[key] = key
            continue
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"system.{key}.name: letters, digits and _ . + - only, got {name!r}")
        if name in reserved or name in systems_cfg:
            raise ConfigError(f"system.{key}.name: {name!r} is another design's name; give this one its own")
        shown[key] = name
    names = list(shown.values())
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise ConfigError(f"system.*.name: two designs would show as {repeated!r}; give each its own name")
    return shown


def build_systems(systems_cfg: Mapping[str, Any], recognizers_cfg: Mapping[str, Any]) -> list[CheckoutDesign]:
    """Instantiate every configured design; each gets its own recognizer instances."""
    if not systems_cfg:
        raise ConfigError("system: no system selected; choose at least one, e.g. system=[weight_only]")
    systems: list[CheckoutDesign] = []
    for name, node in systems_cfg.items():
        path = f"system.{name}"
        node = target_node(node, path, "a design class, e.g. toolkit.systems.CheckoutSystem")
        node.pop("name", None)  # the name its rows show (shown_names): the design itself goes by its key
        extra: dict[str, Any] = {"name": name}
        if "recognizers" in node:
            names = node.pop("recognizers")
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise ConfigError(
                    f"{path}.recognizers: a list of at least one recognizer name, got {names!r}"
                )
            for rname in names:
                choice(rname, recognizers_cfg.keys(), f"{path}.recognizers")
            extra["recognizers"] = {
                rname: build_from_config(recognizers_cfg[rname], f"recognizer.{rname}") for rname in names
            }
        system = build_from_config(node, path, **extra)
        check_system_shape(name, system)
        systems.append(system)
    return systems
