"""Decoders: rule-based readers of one sensor's signal into receipts (not recognizers: they
weigh no hypotheses). A `DecoderSystem` wraps one into a design."""

from toolkit.decoders.rfid_gate import RfidGateDecoder
from toolkit.decoders.rfid_shelf import RfidShelfDecoder

__all__ = ["RfidGateDecoder", "RfidShelfDecoder"]
