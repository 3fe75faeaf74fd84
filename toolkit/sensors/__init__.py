"""Sensor models: physical signals from the ground truth. What they emit (observations.py) is all a
design ever sees. `base.py` holds the protocol a sensor plugin implements and its checker."""

from toolkit.sensors.base import (
    BaseSensor,
    Hardware,
    Sensed,
    SensingContext,
    Sensor,
    SensorCheckError,
    check_sensor,
)

__all__ = ["BaseSensor", "Hardware", "Sensed", "SensingContext", "Sensor", "SensorCheckError", "check_sensor"]
