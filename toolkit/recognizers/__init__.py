"""Recognizers: signals in, evidence (log-likelihoods over hypotheses) out."""

from toolkit.recognizers.base import (
    BaseRecognizer,
    EventBatch,
    Evidence,
    Recognizer,
    RecognizerCheckError,
    check_evidence,
    check_recognizer,
)

__all__ = [
    "BaseRecognizer",
    "EventBatch",
    "Evidence",
    "Recognizer",
    "RecognizerCheckError",
    "check_evidence",
    "check_recognizer",
]
