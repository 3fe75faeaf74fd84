"""Checkout designs: what each is (fusion of recognizers, or a decoder of one sensor), what it
returns, how it is built from config, and the checks every design passes."""

from toolkit.systems.base import (
    BasketOutput,
    CheckoutDesign,
    Reviewer,
    SystemCheckError,
    SystemOutput,
    check_output,
    check_system_shape,
)
from toolkit.systems.decoded import Decoder, DecoderSystem
from toolkit.systems.fusion import CheckoutSystem, DecisionSettings
from toolkit.systems.registry import build_systems, shown_names

__all__ = [
    "BasketOutput",
    "CheckoutDesign",
    "CheckoutSystem",
    "DecisionSettings",
    "Decoder",
    "DecoderSystem",
    "Reviewer",
    "SystemCheckError",
    "SystemOutput",
    "build_systems",
    "check_output",
    "check_system_shape",
    "shown_names",
]
