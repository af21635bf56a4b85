"""Callbacks: hooks into the training loop (skorch's vocabulary) and the built-in ones."""

from .base import Callback, StopTraining
from .logging import PrintLog, ProgressReporter
from .scoring import BestMarker, EpochScoring
from .training import Checkpoint, EarlyStopping, GradientNormClipping, LRScheduler

__all__ = [
    "BestMarker",
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "EpochScoring",
    "GradientNormClipping",
    "LRScheduler",
    "PrintLog",
    "ProgressReporter",
    "StopTraining",
]
