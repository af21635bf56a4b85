"""Scores of predictions: the classification and regression metrics every run reports."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

#: Metric name -> (label, higher is better), in the order results are shown.
METRICS: dict[str, tuple[str, bool]] = {
    "accuracy": ("Accuracy", True),
    "balanced_accuracy": ("Balanced accuracy", True),
    "f1_macro": ("F1 (macro)", True),
    "roc_auc": ("ROC AUC", True),
    "log_loss": ("Log loss", False),
    "rmse": ("RMSE", False),
    "mae": ("MAE", False),
    "r2": ("R²", True),
}

Scores = dict[str, float]
Omitted = dict[str, str]


def classification_scores(
    y_true: Sequence[Any], y_pred: Sequence[Any], proba: np.ndarray, classes: Sequence[Any]
) -> tuple[Scores, Omitted]:
    """Accuracy, balanced accuracy, macro F1, ROC AUC and log loss of a classifier's predictions.

    Parameters
    ----------
    y_true, y_pred : sequence
        True and predicted labels.
    proba : ndarray of shape (n_rows, n_classes)
        Predicted probabilities, one column per entry of ``classes``.
    classes : sequence
        The classes the model was trained on, in ``proba``'s column order.

    Returns
    -------
    scores : dict
        Metric name -> value.
    omitted : dict
        Metric name -> why it could not be computed on these rows (e.g. ROC AUC with one class).
    """
    y_true = np.asarray(y_true)
    classes = list(classes)
    scores: Scores = {"accuracy": float(skm.accuracy_score(y_true, y_pred))}
    with warnings.catch_warnings():
        # A predicted class absent from y_true only warns; the score is still the documented one.
        warnings.simplefilter("ignore")
        scores["balanced_accuracy"] = float(skm.balanced_accuracy_score(y_true, y_pred))
        scores["f1_macro"] = float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0))
    omitted: Omitted = {}
    unseen = sorted({str(v) for v in y_true} - {str(c) for c in classes})
    if unseen:
        reason = f"the scored rows hold classes the model never saw in training ({', '.join(unseen)})"
        return scores, {"roc_auc": reason, "log_loss": reason}
    present = set(y_true.tolist())
    if len(present) < 2:
        omitted["roc_auc"] = "undefined when the scored rows hold a single class"
    elif len(classes) == 2:
        scores["roc_auc"] = float(skm.roc_auc_score(y_true == classes[1], proba[:, 1]))
    elif len(present) < len(classes):
        missing = ", ".join(str(c) for c in classes if c not in present)
        omitted["roc_auc"] = f"one-vs-rest AUC needs every class in the scored rows; missing: {missing}"
    else:
        scores["roc_auc"] = float(
            skm.roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=classes)
        )
    scores["log_loss"] = float(skm.log_loss(y_true, proba, labels=classes))
    return scores, omitted


def regression_scores(y_true: Sequence[float], y_pred: Sequence[float]) -> tuple[Scores, Omitted]:
    """RMSE, MAE and R² of a regressor's predictions (R² needs two rows or more)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_true.shape)
    scores: Scores = {
        "rmse": float(np.sqrt(skm.mean_squared_error(y_true, y_pred))),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
    }
    omitted: Omitted = {}
    if len(y_true) < 2:
        omitted["r2"] = "undefined on fewer than two rows"
    else:
        scores["r2"] = float(skm.r2_score(y_true, y_pred))
    return scores, omitted
