"""Sensors by name: the store's backbone, and every other configured sensor built by `_target_`.

The backbone is what every design stands on: the door scanners that open and close visits
(`sensor.door`), the load-cell plates whose detector raises the shelf events all designs are
scored on (`sensor.loadcell`), and the ceiling cameras that follow shoppers (`sensor.presence`).
Its stages run in a fixed order in the pipeline. Any other `sensor.<name>` node is a plugin whose
signal designs receive as `Observations.readings[<name>]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from toolkit.config import ConfigError, build_from_config
from toolkit.sensors.base import Sensor, check_sensor_shape

BACKBONE = ("door", "loadcell", "presence")


def build_sensors(sensor_cfg: Mapping[str, Any]) -> dict[str, Sensor]:
    """Every configured sensor beyond the backbone, in config order, each checked for the protocol."""
    sensors: dict[str, Sensor] = {}
    for name, node in sensor_cfg.items():
        if name in BACKBONE:
            if node is not None and "_target_" in node:
                raise ConfigError(
                    f"sensor.{name}._target_: the backbone is built by the pipeline, not by a class"
                )
            continue
        sensor = build_from_config(node, f"sensor.{name}")
        check_sensor_shape(name, sensor)
        sensors[name] = sensor
    return sensors
