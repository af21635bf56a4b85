"""Evaluation: metrics, cross-validation and holdout splits, and run_experiment that ties them together."""

from backend.evaluate.experiment import FINAL_FOLD, ExperimentResult, run_experiment
from backend.evaluate.metrics import METRICS, classification_scores, regression_scores
from backend.evaluate.splits import make_splits

__all__ = [
    "FINAL_FOLD",
    "METRICS",
    "ExperimentResult",
    "classification_scores",
    "make_splits",
    "regression_scores",
    "run_experiment",
]
