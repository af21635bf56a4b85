"""run_experiment: evaluate a spec on a dataset (k-fold CV or holdout), then fit the final pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from backend.data import infer_schema
from backend.evaluate.metrics import METRICS, classification_scores, regression_scores
from backend.evaluate.splits import make_splits
from backend.pipeline import build_pipeline, fitted_net
from backend.spec import ExperimentSpec, SpecError

#: The fold number of the final fit on every row, in events and histories.
FINAL_FOLD = -1

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


def run_experiment(
    spec: ExperimentSpec, frame: pd.DataFrame, report: Report | None = None
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

    Raises
    ------
    SpecError
        When the spec does not fit the data (too many folds for the rows, one class, non-numeric
        regression target, ...). Training errors (a diverging loss) come from the net with their message.
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
                "epochs": len(histories[fold]),
                **scores,
            }
        )
        emit({"kind": "fold_end", "fold": fold, "scores": scores})
    emit(
        {"kind": "progress", "done": len(splits), "total": total, "message": f"Final fit on {len(data)} rows"}
    )
    final = fit(FINAL_FOLD, np.arange(len(data)))
    emit({"kind": "progress", "done": total, "total": total, "message": "Final fit done"})
    fold_scores = pd.DataFrame(rows_out)
    # Out-of-fold rows in the data's own order, so they line up with the frame.
    order = np.argsort(np.concatenate([test for _, test in splits]), kind="stable")
    oof = pd.concat(oof_parts, ignore_index=True).iloc[order]
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
    )


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
