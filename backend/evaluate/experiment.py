"""run_experiment: evaluate a spec on a dataset (k-fold CV or holdout), then fit the final pipeline.

Cross-validation folds run one after another in this process, or, when the compute settings ask for more
than one local process or for a Dask cluster, as tasks of a compute session, as a search's fits do
(:class:`~backend.evaluate.tracked.TrackedPipeline` reports each fold's epochs and scores home).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from backend.compute import ComputeSettings, compute_session, load_compute_settings
from backend.compute.threads import usable_cpus
from backend.data import infer_schema
from backend.evaluate.metrics import METRICS, classification_scores, regression_scores
from backend.evaluate.splits import make_splits
from backend.pipeline import build_pipeline, fitted_net
from backend.spec import ExperimentSpec, SpecError

#: The fold number of the final fit on every row, in events and histories.
FINAL_FOLD = -1
#: Where folds run when they run in the job's own process.
IN_PROCESS = "this process"
# Seconds to wait, after the last fold's task returned, for its messages still on their way from a cluster.
_MESSAGE_GRACE_S = 30.0

Report = Callable[[dict[str, Any]], None]


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` learned.

    Attributes
    ----------
    fold_scores : DataFrame
        One row per fold: ``fold``, ``n_train``, ``n_test``, ``epochs`` and one column per metric.
    summary : dict
        Metric -> ``{"mean": ..., "std": ...}`` over the folds (std with ``ddof=0``; 0 for a holdout).
    oof : DataFrame
        One row per scored row: ``row`` (the frame's index label), ``fold``, ``true``, ``predicted`` and
        ``proba_<class>`` for each class (classification). In CV every row appears exactly once.
    pipeline : Pipeline
        The pipeline fitted on every row with a target: the artifact to save.
    histories : dict
        Fold -> list of epoch records (fold ``-1`` is the final fit).
    n_dropped : int
        Rows dropped because their target was missing.
    duration : float
        Seconds from start to finish.
    omitted : dict
        Metric -> why it was not computed on some fold (e.g. ROC AUC when a fold holds one class).
    classes : list
        The classes, for classification; empty for regression.
    compute : str
        Where the folds ran, in words (``"this process"``, ``"2 local processes"``, a Dask cluster); empty
        when not recorded.
    """

    fold_scores: pd.DataFrame
    summary: dict[str, dict[str, float]]
    oof: pd.DataFrame
    pipeline: Pipeline
    histories: dict[int, list[dict[str, Any]]]
    n_dropped: int
    duration: float
    omitted: dict[str, str] = field(default_factory=dict)
    classes: list[Any] = field(default_factory=list)
    compute: str = ""


def run_experiment(
    spec: ExperimentSpec,
    frame: pd.DataFrame,
    report: Report | None = None,
    compute: ComputeSettings | None = None,
) -> ExperimentResult:
    """Score ``spec`` on ``frame`` by cross-validation or holdout, then fit the final pipeline on all rows.

    Rows with a missing target are dropped first. Each fold fits a fresh pipeline, so preprocessing is
    learned inside the fold only. For images, ``frame`` holds a column of image paths or bytes; for
    text, a column of strings (``spec.data.modality`` and ``spec.data.input_column``).

    Parameters
    ----------
    spec : ExperimentSpec
    frame : DataFrame
        The data, target column included.
    report : callable, optional
        Receives events as they happen: ``{"kind": "epoch", "fold", "epoch", "train_loss", ...}``,
        ``{"kind": "fold_end", "fold", "scores"}`` and ``{"kind": "progress", "done", "total", "message"}``.
        When folds run elsewhere, events arrive as folds report, possibly from a background thread (one
        at a time), folds interleaved.
    compute : ComputeSettings, optional
        Where cross-validation folds run; by default :func:`backend.compute.load_compute_settings` (the
        home's settings, ``TORCHWORK_N_JOBS``, ``TORCHWORK_DASK_SCHEDULER``). One local process fits the
        folds one after another here; more processes, or a Dask scheduler, fit them at once there, with
        the same folds, seeds and results. A holdout split and the final fit on every row always run here.

    Raises
    ------
    SpecError
        When the spec does not fit the data (too many folds for the rows, one class, non-numeric
        regression target, ...). Training errors (a diverging loss) come from the net with their message.
    ClusterUnavailable
        When a Dask scheduler is configured but cannot be used.
    """
    started = time.perf_counter()
    emit: Report = report if report is not None else _ignore
    spec.validate(columns=[str(c) for c in frame.columns])
    target = spec.data.target
    known = frame[target].notna()
    data = frame.loc[known]
    classification = spec.data.task == "classification"
    X = data.drop(columns=[target])
    y = _labels(data[target]) if classification else _numeric_target(data[target], target)
    spec.validate(n_rows=len(data), class_counts=_class_counts(data[target]) if classification else None)
    classes = sorted(pd.unique(y).tolist(), key=_sort_key) if classification else []
    # Images and texts go through one column each; only a table needs every column's role.
    schema = infer_schema(data) if spec.data.modality == "table" else None
    splits = make_splits(spec, y)
    total = len(splits) + 1
    histories: dict[int, list[dict[str, Any]]] = {}

    def fit(fold: int, rows: np.ndarray) -> Pipeline:
        history = histories.setdefault(fold, [])

        def on_epoch(record: dict) -> None:
            history.append(record)
            emit({"kind": "epoch", "fold": fold, **record})

        pipeline = build_pipeline(spec, data, on_epoch=on_epoch, schema=schema)
        return pipeline.fit(X.iloc[rows], y[rows])

    settings = _settings_for_folds(spec, compute, len(splits))
    if settings is None:
        fold_scores, oof, omitted = _folds_here(spec, data, X, y, splits, classes, fit, emit, total)
        where = IN_PROCESS
    else:
        fold_scores, oof, omitted, fold_histories, where = _folds_in_session(
            settings, spec, data, X, y, splits, classes, schema, emit, total
        )
        histories.update(fold_histories)
    emit(
        {"kind": "progress", "done": len(splits), "total": total, "message": f"Final fit on {len(data)} rows"}
    )
    final = fit(FINAL_FOLD, np.arange(len(data)))
    emit({"kind": "progress", "done": total, "total": total, "message": "Final fit done"})
    return ExperimentResult(
        fold_scores=fold_scores,
        summary=_summarise(fold_scores),
        oof=oof.reset_index(drop=True),
        pipeline=final,
        histories=histories,
        n_dropped=int((~known).sum()),
        duration=time.perf_counter() - started,
        omitted=omitted,
        classes=classes,
        compute=where,
    )


def _settings_for_folds(
    spec: ExperimentSpec, compute: ComputeSettings | None, n_splits: int
) -> ComputeSettings | None:
    """The compute settings the folds run under, or None to fit them one after another in this process.

    Local processes are capped at the number of folds, so that each gets its share of the cores.
    """
    if spec.evaluation.mode != "cv" or n_splits < 2:
        return None
    settings = (compute if compute is not None else load_compute_settings()).validated()
    if settings.target == "dask":
        return settings
    n_workers = min(usable_cpus() if settings.n_jobs == -1 else settings.n_jobs, n_splits)
    return dataclasses.replace(settings, n_jobs=n_workers) if n_workers > 1 else None


def _folds_here(
    spec: ExperimentSpec,
    data: pd.DataFrame,
    X: pd.DataFrame,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    classes: list[Any],
    fit: Callable[[int, np.ndarray], Pipeline],
    emit: Report,
    total: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Fit and score the folds one after another in this process: fold scores, out-of-fold rows, omitted."""
    classification = spec.data.task == "classification"
    rows_out, oof_parts, omitted = [], [], {}
    for fold, (train, test) in enumerate(splits):
        name = "Holdout split" if spec.evaluation.mode == "holdout" else f"Fold {fold + 1} of {len(splits)}"
        emit({"kind": "progress", "done": fold, "total": total, "message": f"{name}: training"})
        pipeline = fit(fold, train)
        scores, fold_omitted, part = _score(pipeline, X.iloc[test], y[test], classification, classes)
        part.insert(0, "fold", fold)
        part.insert(0, "row", data.index[test])
        oof_parts.append(part)
        for metric, reason in fold_omitted.items():
            omitted.setdefault(metric, f"fold {fold}: {reason}")
        rows_out.append(
            {
                "fold": fold,
                "n_train": len(train),
                "n_test": len(test),
                "epochs": len(fitted_net(pipeline).history_),
                **scores,
            }
        )
        emit({"kind": "fold_end", "fold": fold, "scores": scores})
    # Out-of-fold rows in the data's own order, so they line up with the frame.
    order = np.argsort(np.concatenate([test for _, test in splits]), kind="stable")
    oof = pd.concat(oof_parts, ignore_index=True).iloc[order]
    return pd.DataFrame(rows_out), oof, omitted


def _folds_in_session(
    settings: ComputeSettings,
    spec: ExperimentSpec,
    data: pd.DataFrame,
    X: pd.DataFrame,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    classes: list[Any],
    schema: Any,
    emit: Report,
    total: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[int, list[dict[str, Any]]], str]:
    """Fit and score the folds as tasks of a compute session, as a search fits its candidates' folds.

    Each fold is one :class:`~backend.evaluate.tracked.TrackedPipeline` fit (scikit-learn's
    ``cross_validate`` on the session's joblib backend, the dataset scattered once); its epochs, scores and
    predictions come home through the session's channel and are assembled by the search's own
    :class:`~backend.evaluate.search_progress.SearchProgress`. Returns fold scores, out-of-fold rows,
    omitted metrics, the folds' epoch histories and where the folds ran.
    """
    # Imported here: both import this module.
    from sklearn.model_selection import cross_validate

    from backend.evaluate.search_progress import SearchProgress
    from backend.evaluate.tracked import TrackedPipeline

    classification = spec.data.task == "classification"
    # Positions as the index: a fold's rows then say which rows they are, wherever they are fitted.
    X = X.reset_index(drop=True)
    fold_of_row = np.empty(len(y), dtype=np.int64)
    for fold, (_, test) in enumerate(splits):
        fold_of_row[test] = fold
    progress = SearchProgress(
        _FoldEvents(emit, len(splits), total), n_folds=len(splits), total=total, row_labels=data.index
    )
    with compute_session(settings, data=[X, y, fold_of_row], consumer=progress.consume) as session:
        estimator = TrackedPipeline(
            build_pipeline(spec, data, schema=schema),
            channel=session.channel,
            torch_threads=session.torch_threads,
            n_folds=len(splits),
            scoring="accuracy" if classification else "r2",
            classes=classes if classification else None,
        )
        emit(
            {
                "kind": "progress",
                "done": 0,
                "total": total,
                "message": f"Cross-validation: {len(splits)} folds on {session.description}",
            }
        )
        # A failed fold raises its own error here, as it would in this process.
        cross_validate(estimator, X, y, cv=splits, params={"fold_of_row": fold_of_row}, error_score="raise")
        # Folds in other processes report asynchronously: wait for the last ones' messages.
        session.wait_until(lambda: progress.fits_ended >= len(splits), timeout=_MESSAGE_GRACE_S)
        where = session.description
    key = (estimator.candidate, estimator.iteration)
    fold_scores = progress.fold_scores(key)
    missing = sorted(set(range(len(splits))) - set(fold_scores["fold"] if len(fold_scores) else []))
    if missing:
        raise RuntimeError(
            f"The results of fold(s) {', '.join(str(f + 1) for f in missing)} did not come back from {where} "
            f"within {_MESSAGE_GRACE_S:g} s of the folds' end; start the run again."
        )
    histories = {fold: records for fold, records in progress.histories_of(key).items() if fold != FINAL_FOLD}
    return fold_scores, progress.oof(key), progress.omitted(key), histories, where


class _FoldEvents:
    """Turns the fit events of cross-validation folds run as tracked tasks into :func:`run_experiment`'s.

    ``epoch`` passes on without the search's ``candidate`` and ``iteration``; a fold's start and end become
    ``progress`` (``done`` counts finished folds) and ``fold_end``. The search's own ``progress`` and
    ``candidate_end`` events, which speak of candidates, are not passed on.
    """

    def __init__(self, emit: Report, n_folds: int, total: int):
        self.emit = emit
        self.n_folds = n_folds
        self.total = total
        self.ended = 0

    def __call__(self, event: dict[str, Any]) -> None:
        kind, fold = event["kind"], event.get("fold")
        if kind == "epoch":
            self.emit({k: v for k, v in event.items() if k not in ("candidate", "iteration")})
        elif kind == "fit_start":
            self._progress(f"Fold {fold + 1} of {self.n_folds}: training")
        elif kind == "fit_end" and event.get("error") is None:
            self.ended += 1
            self.emit({"kind": "fold_end", "fold": fold, "scores": event["scores"]})
            self._progress(f"Fold {fold + 1} of {self.n_folds} done")

    def _progress(self, message: str) -> None:
        self.emit({"kind": "progress", "done": self.ended, "total": self.total, "message": message})


def _ignore(event: dict[str, Any]) -> None:
    return None


def _sort_key(value: Any) -> tuple[str, Any]:
    # Mixed label types cannot be compared directly; group by type name first.
    return (type(value).__name__, value)


def _class_counts(target: pd.Series) -> dict[Any, int]:
    return {k: int(v) for k, v in target.value_counts(sort=False).items()}


def _labels(column: pd.Series) -> np.ndarray:
    """Class labels; whole-number floats (an integer column that had gaps) become integers again."""
    values = column.to_numpy()
    if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0):
        return values.astype(np.int64)
    return values


def _numeric_target(column: pd.Series, name: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce")
    bad = column[values.isna()]
    if len(bad):
        raise SpecError(
            f"data.target = {name!r} holds values that are not numbers (such as {bad.iloc[0]!r}): "
            "regression needs a numeric target; choose classification or another target"
        )
    return values.to_numpy(dtype=np.float64)


def _score(
    pipeline: Pipeline, X: pd.DataFrame, y: np.ndarray, classification: bool, classes: list[Any]
) -> tuple[dict[str, float], dict[str, str], pd.DataFrame]:
    """Scores on held-out rows, and their predictions as a frame (true, predicted, proba_<class>)."""
    predicted = pipeline.predict(X)
    part = pd.DataFrame({"true": y, "predicted": predicted})
    if not classification:
        scores, omitted = regression_scores(y, predicted)
        return scores, omitted, part
    proba = pipeline.predict_proba(X)
    trained_classes = list(fitted_net(pipeline).classes_)
    scores, omitted = classification_scores(y, predicted, proba, trained_classes)
    # Every class gets a column; a class this fold's model never saw has probability 0 from it.
    position = {c: i for i, c in enumerate(trained_classes)}
    for cls in classes:
        part[f"proba_{cls}"] = proba[:, position[cls]] if cls in position else 0.0
    return scores, omitted, part


def _summarise(fold_scores: pd.DataFrame) -> dict[str, dict[str, float]]:
    summary = {}
    for metric in METRICS:
        if metric in fold_scores:
            values = fold_scores[metric].dropna().to_numpy(dtype=np.float64)
            if len(values):
                summary[metric] = {"mean": float(values.mean()), "std": float(values.std(ddof=0))}
    return summary
