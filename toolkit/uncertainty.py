"""Parameters whose evidence disagrees: the scenario states them with the range the evidence spans.

A default can rest on one study while another points elsewhere (buy rate: an eye-tracking study
against a real store's labelled events). Rather than hide that in a YAML comment, the `uncertain`
section names each such parameter, its range and the evidence at both ends; every run checks that
the key exists, records them in metrics.json and prints them under the table (saying so when a
run sets a value beyond what the evidence spans), so no headline is read without its conditions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from omegaconf import DictConfig, OmegaConf

from toolkit.config import ConfigError, Range, Settings


class UncertainParameter(Settings):
    """One entry of `uncertain`: which config key, the range the evidence spans, and that evidence."""

    config_path: ClassVar[str] = "uncertain"

    key: str
    range: Range
    evidence: str


def uncertain_parameters(cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The `uncertain` section checked against the config: {name: {key, value, range, evidence,
    inside}}; `inside` is whether the run's value lies in the range the evidence spans."""
    section = cfg.get("uncertain") or {}
    root = cfg if isinstance(cfg, DictConfig) else OmegaConf.create(dict(cfg))
    stated = {}
    for name, node in section.items():
        entry = UncertainParameter.from_config(node, f"uncertain.{name}")
        value = OmegaConf.select(root, entry.key, default=None)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"uncertain.{name}.key: {entry.key!r} is not a numeric config value")
        low, high = entry.range
        stated[name] = {
            "key": entry.key,
            "value": float(value),
            "range": [low, high],
            "evidence": entry.evidence,
            "inside": bool(low <= value <= high),
        }
    return stated


def uncertainty_lines(stated: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per uncertain parameter, for under the summary table (the evidence at both ends of
    its range is in metrics.json)."""
    return [
        f"uncertain: {p['key']} = {p['value']:g}{'' if p['inside'] else ' (beyond the evidence)'}; "
        f"the evidence spans {p['range'][0]:g}-{p['range'][1]:g}"
        for p in stated.values()
    ]
