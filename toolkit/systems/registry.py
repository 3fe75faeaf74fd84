"""Designs by name: each `system.<name>` node is built by its `_target_`, with fresh instances of
the recognizers it names, and checked against the design protocol."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from toolkit.config import ConfigError, build_from_config, choice, target_node
from toolkit.systems.base import CheckoutDesign, check_system_shape


def build_systems(systems_cfg: Mapping[str, Any], recognizers_cfg: Mapping[str, Any]) -> list[CheckoutDesign]:
    """Instantiate every configured design; each gets its own recognizer instances."""
    if not systems_cfg:
        raise ConfigError("system: no system selected; choose at least one, e.g. system=[weight_only]")
    systems: list[CheckoutDesign] = []
    for name, node in systems_cfg.items():
        path = f"system.{name}"
        node = target_node(node, path, "a design class, e.g. toolkit.systems.CheckoutSystem")
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
