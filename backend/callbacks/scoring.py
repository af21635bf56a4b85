"""Callbacks that score each epoch and mark the best epochs in the History."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import check_scoring

from .base import Callback


def is_better(value: float, best: float | None, lower_is_better: bool) -> bool:
    if best is None or not np.isfinite(best):
        return bool(np.isfinite(value))
    return value < best if lower_is_better else value > best


class BestMarker(Callback):
    """Record ``<key>_best`` (True on the epochs that improved ``key``) for the loop's own metrics."""

    def __init__(self, keys: dict[str, bool] | None = None):
        self.keys = keys

    def initialize(self) -> BestMarker:
        self.best_ = {}
        return self

    def on_epoch_end(self, net, **kwargs) -> None:
        record = net.history[-1]
        for key, lower_is_better in (self.keys or {}).items():
            if key not in record:
                continue
            better = is_better(record[key], self.best_.get(key), lower_is_better)
            if better:
                self.best_[key] = record[key]
            net.history.record(f"{key}_best", better)


class EpochScoring(Callback):
    """Score the net at the end of each epoch with a scikit-learn scorer.

    Parameters
    ----------
    scoring : str or callable
        A scikit-learn scoring name (``"f1_macro"``, ``"r2"``...) or ``scorer(net, X, y)``.
    lower_is_better : bool
        Whether a smaller score is an improvement (sets ``<name>_best``).
    on_train : bool
        Score the training data instead of the validation data.
    name : str, optional
        The History key; default ``"valid_<scoring>"`` or ``"train_<scoring>"``.
    """

    def __init__(
        self,
        scoring: str | Callable,
        lower_is_better: bool = True,
        on_train: bool = False,
        name: str | None = None,
    ):
        self.scoring = scoring
        self.lower_is_better = lower_is_better
        self.on_train = on_train
        self.name = name

    @property
    def key(self) -> str:
        if self.name:
            return self.name
        label = self.scoring if isinstance(self.scoring, str) else getattr(self.scoring, "__name__", "score")
        return f"{'train' if self.on_train else 'valid'}_{label}"

    def initialize(self) -> EpochScoring:
        self.best_score_ = None
        return self

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs) -> None:
        dataset = dataset_train if self.on_train else dataset_valid
        if dataset is None:
            return
        X, y = dataset.X, dataset.y_original
        scorer = check_scoring(net, scoring=self.scoring)
        score = float(scorer(net, X, y))
        better = is_better(score, self.best_score_, self.lower_is_better)
        if better:
            self.best_score_ = score
        net.history.record(self.key, score)
        net.history.record(f"{self.key}_best", better)
