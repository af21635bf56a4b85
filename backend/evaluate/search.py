"""run_search: a hyperparameter search over a spec's pipeline (grid, random or successive halving).

The searches are scikit-learn's own (``GridSearchCV``, ``RandomizedSearchCV``, ``HalvingRandomSearchCV``),
so ``cv_results_`` means what their documentation says. Around them Torchwork adds what a no-code run
needs: names checked before any training, candidates and folds run on local processes or a Dask cluster,
per-fit progress with epoch curves, a time limit, and the best candidate presented as a single run.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import FitFailedWarning

from backend.compute import ComputeSettings, compute_session, load_compute_settings
from backend.data import infer_schema
from backend.evaluate.experiment import (
    ExperimentResult,
    _class_counts,
    _labels,
    _numeric_target,
    _sort_key,
    _summarise,
)
from backend.evaluate.metrics import METRICS
from backend.evaluate.search_budget import Budget, cv_results_frame, make_search
from backend.evaluate.search_plan import SearchPlan, plan_search
from backend.evaluate.search_progress import SearchProgress
from backend.evaluate.search_space import resolve_space
from backend.evaluate.splits import make_splits
from backend.evaluate.tracked import TrackedPipeline
from backend.pipeline import build_pipeline
from backend.spec import ExperimentSpec, SpecError

Report = Callable[[dict[str, Any]], None]

#: The metric "auto" ranks candidates by.
AUTO_METRIC = {"classification": "accuracy", "regression": "r2"}
# Seconds to wait, after the last fit, for its messages still on their way from a cluster.
_MESSAGE_GRACE_S = 30.0


@dataclass
class SearchResult:
    """What :func:`run_search` found.

    Attributes
    ----------
    best : ExperimentResult
        The best candidate as a single run: its folds' scores (every metric), their mean and spread,
        out-of-fold predictions, epoch histories (fold -1: the refit), and ``pipeline``, refitted on
        every row: the artifact to save.
    cv_results : DataFrame
        scikit-learn's ``cv_results_``, whole, one row per candidate (per round, for halving). Parameter
        columns are named as in the spec (``param_lr``) and hold JSON values; ``params`` holds dicts;
        ``candidate`` numbers the candidates (a halving candidate keeps its number across rounds).
        Scores are ``metric``, negated when lower is better (scikit-learn ranks the greatest first).
    best_params : dict
        The best candidate's parameters, named as in the spec.
    best_candidate, best_index : int
        The best candidate's number, and its row in ``cv_results``.
    best_score : float
        Its mean test score (negated when lower is better, as in ``cv_results``).
    metric : str
        The metric candidates are ranked by (a key of ``backend.evaluate.METRICS``).
    greater_is_better : bool
        Whether ``metric`` itself improves upwards (False for ``rmse``, ``mae``, ``log_loss``).
    plan : SearchPlan
        The work planned before the search started.
    n_candidates, n_fits : int
        Candidates evaluated and cross-validation fits run (fewer than planned after a time limit).
    stopped_early : bool
        Whether the time limit stopped the search before every planned candidate ran.
    compute : str
        Where the fits ran, in words.
    duration : float
        Seconds from start to finish.
    """

    best: ExperimentResult
    cv_results: pd.DataFrame
    best_params: dict[str, Any]
    best_candidate: int
    best_index: int
    best_score: float
    metric: str
    greater_is_better: bool
    plan: SearchPlan
    n_candidates: int
    n_fits: int
    stopped_early: bool
    compute: str
    duration: float


def run_search(
    spec: ExperimentSpec,
    frame: pd.DataFrame,
    report: Report | None = None,
    compute: ComputeSettings | None = None,
) -> SearchResult:
    """Search ``spec.search.space`` by cross-validation on ``frame`` and refit the best candidate on all rows.

    Rows with a missing target are dropped first. Every searched name and value is checked against the
    pipeline before any training. Each candidate is scored on ``spec.search.folds`` folds (stratified and
    shuffled as ``spec.evaluation`` says), by ``spec.search.scoring``.

    Parameters
    ----------
    spec : ExperimentSpec
        With ``search.mode`` grid, random or halving.
    frame : DataFrame
        The data, target column included.
    report : callable, optional
        Receives events, one at a time, possibly from a background thread:

        - ``{"kind": "search", "mode", "metric", "greater_is_better", "n_candidates", "n_folds",
          "total", "compute", "names"}`` once, first;
        - ``{"kind": "fit_start", "candidate", "iteration", "fold", "params", "n_train"}``;
        - ``{"kind": "epoch", "candidate", "iteration", "fold", "epoch", "train_loss", ...}``;
        - ``{"kind": "fit_end", "candidate", "iteration", "fold", "params", "score", "scores", "omitted",
          "n_train", "n_test", "epochs", "fit_time", "error"}`` (``error`` is None, or why it failed);
        - ``{"kind": "candidate_end", "candidate", "iteration", "params", "mean_score", "std_score",
          "fold_scores", "fit_time", "errors"}`` when all its folds are done;
        - ``{"kind": "progress", "done", "total", "message"}`` (fits done of planned, refit included).

        ``fold`` -1 is the final refit. Scores follow ``SearchResult.cv_results``'s sign.
    compute : ComputeSettings, optional
        Where fits run; by default :func:`backend.compute.load_compute_settings` (the home's settings,
        ``TORCHWORK_DASK_SCHEDULER``).

    Raises
    ------
    SpecError
        Before any training: the spec is invalid or does not fit the data, has no search, or searches a
        name that is not a parameter of the pipeline (named in the message) or a value it refuses.
    SearchFailed
        When every fit failed (each failure is also reported as a ``fit_end`` event with its error);
        when only some failed, their candidates score NaN and rank last.
    ClusterUnavailable
        When a Dask scheduler is configured but cannot be used.
    """
    started = time.perf_counter()
    emit: Report = report if report is not None else _ignore
    if spec.search.mode == "none":
        raise SpecError(
            "search.mode = 'none': this spec has no search; choose grid, random or halving, or train it "
            "with run_experiment"
        )
    spec.validate(columns=[str(c) for c in frame.columns])
    target = spec.data.target
    known = frame[target].notna()
    data = frame.loc[known]
    classification = spec.data.task == "classification"
    y = _labels(data[target]) if classification else _numeric_target(data[target], target)
    spec.validate(n_rows=len(data), class_counts=_class_counts(data[target]) if classification else None)
    classes = sorted(pd.unique(y).tolist(), key=_sort_key) if classification else []
    # Positions as the index: a fold's rows then say which rows they are, wherever they are fitted.
    X = data.drop(columns=[target]).reset_index(drop=True)
    pipeline = build_pipeline(spec, data, schema=infer_schema(data))
    space = resolve_space(spec, pipeline)
    settings = compute if compute is not None else load_compute_settings()

    splits = make_splits(_cv_spec(spec), y)
    fold_of_row = np.empty(len(y), dtype=np.int64)
    for fold, (_, test) in enumerate(splits):
        fold_of_row[test] = fold
    plan = plan_search(spec, len(y), len(classes) or None)
    metric = search_metric(spec)
    greater_is_better = METRICS[metric][1]
    progress = SearchProgress(emit, n_folds=len(splits), total=plan.n_fits, row_labels=data.index)

    with compute_session(settings, data=[X, y, fold_of_row], consumer=progress.consume) as session:
        estimator = TrackedPipeline(
            pipeline,
            channel=session.channel,
            torch_threads=session.torch_threads,
            n_folds=len(splits),
            scoring=metric,
            classes=classes if classification else None,
        )
        budget = Budget(
            time_limit=spec.search.time_limit_s,
            batch_size=session.n_workers if spec.search.time_limit_s else None,
            params=progress.params,
            names={f"pipeline__{path}": name for path, name in space.names.items()},
        )
        search = make_search(spec, estimator, space, splits, plan)
        search.budget = budget
        emit(
            {
                "kind": "search",
                "mode": spec.search.mode,
                "metric": metric,
                "greater_is_better": greater_is_better,
                "n_candidates": plan.n_candidates,
                "n_folds": len(splits),
                "total": plan.n_fits,
                "compute": session.description,
                "names": [d.name for d in space.dimensions],
            }
        )
        emit({"kind": "progress", "done": 0, "total": plan.n_fits, "message": "Search started"})
        try:
            with warnings.catch_warnings():
                # Failed fits are reported as events, with their errors; scikit-learn's warnings would
                # repeat them as tracebacks.
                warnings.simplefilter("ignore", FitFailedWarning)
                warnings.filterwarnings("ignore", message="One or more of the test scores are non-finite")
                search.fit(X, y, fold_of_row=fold_of_row)
        except ValueError as exc:
            raise _all_failed(progress) or exc from None
        # Fits in other processes report asynchronously: wait for the last ones' messages.
        session.wait_until(
            lambda: progress.fits_ended >= budget.n_fits * len(splits), timeout=_MESSAGE_GRACE_S
        )
        description = session.description

    cv_results = cv_results_frame(search.cv_results_, space)
    best_index = int(search.best_index_)
    best_key = (
        int(cv_results["candidate"].iloc[best_index]),
        int(search.cv_results_["params"][best_index]["iteration"]),
    )
    fold_scores = progress.fold_scores(best_key)
    emit({"kind": "progress", "done": plan.n_fits, "total": plan.n_fits, "message": "Search done"})
    best = ExperimentResult(
        fold_scores=fold_scores,
        summary=_summarise(fold_scores) if len(fold_scores) else {},
        oof=progress.oof(best_key),
        pipeline=search.best_estimator_.pipeline_,
        histories=progress.histories_of(best_key),
        n_dropped=int((~known).sum()),
        duration=time.perf_counter() - started,
        omitted=progress.omitted(best_key),
        classes=classes,
    )
    return SearchResult(
        best=best,
        cv_results=cv_results,
        best_params=dict(cv_results["params"].iloc[best_index]),
        best_candidate=best_key[0],
        best_index=best_index,
        best_score=float(search.best_score_),
        metric=metric,
        greater_is_better=greater_is_better,
        plan=plan,
        n_candidates=int(cv_results["candidate"].nunique()),
        n_fits=budget.n_fits * len(splits),
        stopped_early=budget.stopped,
        compute=description,
        duration=time.perf_counter() - started,
    )


def time_first_fit(spec: ExperimentSpec, frame: pd.DataFrame) -> float:
    """Seconds one fit of ``spec``'s own settings takes on a search fold's share of ``frame``'s rows.

    A basis for estimating a search before it starts: about ``plan.n_fits`` such fits, shared by the
    workers (candidates with more epochs or wider layers take longer).
    """
    spec.validate(columns=[str(c) for c in frame.columns])
    data = frame.loc[frame[spec.data.target].notna()]
    n_rows = max(2, len(data) * (spec.search.folds - 1) // spec.search.folds)
    sample = data.sample(n=min(n_rows, len(data)), random_state=spec.training.seed)
    target = spec.data.target
    y = (
        _labels(sample[target])
        if spec.data.task == "classification"
        else _numeric_target(sample[target], target)
    )
    pipeline = build_pipeline(spec, sample)
    started = time.perf_counter()
    pipeline.fit(sample.drop(columns=[target]), y)
    return time.perf_counter() - started


class SearchFailed(ValueError):
    """Every fit of a search failed (a diverging loss for every candidate, say)."""


def _all_failed(progress: SearchProgress) -> SearchFailed | None:
    """A readable error when every fit failed (scikit-learn's own lists tracebacks), else None."""
    fits = [fit for folds in progress.fits.values() for fit in folds.values()]
    if not fits or any(fit["error"] is None for fit in fits):
        return None
    return SearchFailed(
        f"All {len(fits)} fits of the search failed, so there is no best candidate. The first failure: "
        f"{fits[0]['error']}"
    )


def search_metric(spec: ExperimentSpec) -> str:
    """The metric ``spec``'s search ranks candidates by (its ``scoring``, with ``auto`` resolved)."""
    return spec.search.scoring if spec.search.scoring != "auto" else AUTO_METRIC[spec.data.task]


def _ignore(event: dict[str, Any]) -> None:
    return None


def _cv_spec(spec: ExperimentSpec) -> ExperimentSpec:
    """The spec whose cross-validation splits the search uses: its own folds, the evaluation's
    stratification and shuffling."""
    evaluation = dataclasses.replace(spec.evaluation, mode="cv", folds=spec.search.folds)
    return dataclasses.replace(spec, evaluation=evaluation)
