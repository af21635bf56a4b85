"""Evaluation: metrics, cross-validation and holdout splits, run_experiment, and hyperparameter search."""

from backend.evaluate.experiment import FINAL_FOLD, ExperimentResult, run_experiment
from backend.evaluate.metrics import METRICS, classification_scores, regression_scores
from backend.evaluate.search import SearchFailed, SearchResult, run_search, search_metric, time_first_fit
from backend.evaluate.search_plan import SearchPlan, plan_search
from backend.evaluate.search_space import resolve_space
from backend.evaluate.splits import make_splits

__all__ = [
    "FINAL_FOLD",
    "METRICS",
    "ExperimentResult",
    "SearchFailed",
    "SearchPlan",
    "SearchResult",
    "classification_scores",
    "make_splits",
    "plan_search",
    "regression_scores",
    "resolve_space",
    "run_experiment",
    "run_search",
    "search_metric",
    "time_first_fit",
]
