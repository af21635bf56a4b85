"""TrackedPipeline: the estimator fitted once per fold (and candidate, in a search), reporting home.

scikit-learn's searches clone it, set a candidate's parameters and fit it on a fold, in whichever process
runs the task; a cross-validation whose folds run elsewhere fits it the same way (``cross_validate``). It
fits a copy of its pipeline with a progress callback attached, works out which fold it was given from the
rows it received, and sends each epoch and its fold's scores through its channel.
"""

from __future__ import annotations

import math
import time
from typing import Any

import joblib
import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from backend.callbacks import ProgressReporter
from backend.compute import Channel, set_torch_threads
from backend.evaluate.experiment import FINAL_FOLD, _score
from backend.evaluate.metrics import METRICS
from backend.evaluate.search_space import net_path
from backend.pipeline import EpochRelay, fitted_net

PROGRESS_CALLBACK = "search_progress"


class TrackedPipeline(BaseEstimator):
    """A pipeline that reports its training and scores to the caller of a search or cross-validation.

    Parameters
    ----------
    pipeline : Pipeline
        The unfitted pipeline (``preprocess``, ``net``); searched parameters are set through it
        (``pipeline__net__lr``).
    channel : Channel, optional
        Where messages go; None sends nothing.
    torch_threads : int, optional
        Torch threads to use when fitting away from the channel's home process.
    candidate, iteration : int
        Which candidate this is, and in which halving round (0 for grid and random search).
    n_folds : int
        The number of cross-validation folds, to tell from ``fold_of_row`` which fold was held out.
    scoring : str
        The metric :meth:`score` returns (see ``backend.evaluate.METRICS``); negated when lower is better,
        so that greater is always better as scikit-learn's searches assume.
    classes : list, optional
        Every class of the target (classification), so each fold's predictions have a column per class.
    """

    def __init__(
        self,
        pipeline: Pipeline | None = None,
        channel: Channel | None = None,
        torch_threads: int | None = None,
        candidate: int = -1,
        iteration: int = 0,
        n_folds: int = 0,
        scoring: str = "accuracy",
        classes: list | None = None,
    ):
        self.pipeline = pipeline
        self.channel = channel
        self.torch_threads = torch_threads
        self.candidate = candidate
        self.iteration = iteration
        self.n_folds = n_folds
        self.scoring = scoring
        self.classes = classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.pipeline is not None:
            tags.estimator_type = get_tags(self.pipeline).estimator_type
        return tags

    def fit(self, X: Any, y: Any, fold_of_row: np.ndarray | None = None) -> TrackedPipeline:
        """Fit a copy of the pipeline on ``X``, ``y``; ``fold_of_row`` holds each given row's test fold."""
        if self.channel is not None and not self.channel.is_home:
            set_torch_threads(self.torch_threads)
        self.fold_ = self._fold_of(fold_of_row)
        pipeline = clone(self.pipeline)
        path = net_path(pipeline) + "callbacks"
        reporter = ProgressReporter(EpochRelay(self._on_epoch))
        pipeline.set_params(**{path: [*(pipeline.get_params()[path] or []), (PROGRESS_CALLBACK, reporter)]})
        self._send("fit_start", n_train=len(X))
        started = time.perf_counter()
        try:
            with _one_task():
                pipeline.fit(X, y)
        except Exception as exc:
            self._send(
                "fit_end", error=f"{type(exc).__name__}: {exc}", fit_time=time.perf_counter() - started
            )
            raise
        self.fit_time_ = time.perf_counter() - started
        self.n_train_ = len(X)
        self.pipeline_ = pipeline
        return self

    def score(self, X: Any, y: Any) -> float:
        """The ``scoring`` metric on held-out rows (negated when lower is better); reports every metric."""
        check_is_fitted(self, "pipeline_")
        classification = self.classes is not None
        with _one_task():
            scores, omitted, part = _score(
                self.pipeline_, X, np.asarray(y), classification, list(self.classes or [])
            )
        part.insert(0, "row", np.asarray(X.index) if hasattr(X, "index") else np.arange(len(part)))
        value = scores.get(self.scoring, math.nan)
        greater_is_better = METRICS[self.scoring][1]
        self._send(
            "fit_end",
            scores=scores,
            omitted=omitted,
            score=value if greater_is_better else -value,
            n_train=self.n_train_,
            n_test=len(part),
            epochs=len(fitted_net(self.pipeline_).history_),
            fit_time=self.fit_time_,
            predictions=part,
        )
        return value if greater_is_better else -value

    def _fold_of(self, fold_of_row: np.ndarray | None) -> int:
        """The held-out fold is the one absent from the training rows; with every fold present this is
        the final fit on all rows."""
        if fold_of_row is None or not self.n_folds:
            return FINAL_FOLD
        missing = sorted(set(range(self.n_folds)) - set(np.unique(np.asarray(fold_of_row)).tolist()))
        return int(missing[0]) if missing else FINAL_FOLD

    def _on_epoch(self, record: dict) -> None:
        self._send("epoch", record=record)

    def _send(self, kind: str, **payload: Any) -> None:
        if self.channel is not None:
            message = {"type": kind, "candidate": self.candidate, "iteration": self.iteration}
            self.channel.send({**message, "fold": getattr(self, "fold_", FINAL_FOLD), **payload})


def _one_task() -> joblib.parallel_config:
    """Run the joblib calls inside one fit or score (a ColumnTransformer's, say) in this thread.

    Each fit is already one task of the search's own parallel loop. Left to the session's backend, the
    steps inside it would become tasks of their own: on a Dask cluster, each would send its fold's rows
    to the scheduler again and wait for a worker.
    """
    return joblib.parallel_config(backend="sequential")
