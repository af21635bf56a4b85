"""Train/test splits for an evaluation: k folds or a single holdout, reproducible from the spec's seed."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from backend.spec import ExperimentSpec

Split = tuple[np.ndarray, np.ndarray]


def make_splits(spec: ExperimentSpec, y: np.ndarray) -> list[Split]:
    """Row positions ``(train, test)`` for each fold of ``spec.evaluation``.

    ``cv``: stratified k-fold for classification when ``stratified`` is on, else plain k-fold; shuffled
    with ``spec.training.seed`` when ``shuffle`` is on. ``holdout``: one split of ``holdout_fraction``;
    without shuffling the last rows are held out (ordered data), and stratification needs shuffling.
    """
    evaluation, seed = spec.evaluation, spec.training.seed
    stratify = spec.data.task == "classification" and evaluation.stratified
    positions = np.arange(len(y))
    if evaluation.mode == "cv":
        random_state = seed if evaluation.shuffle else None
        splitter_cls = StratifiedKFold if stratify else KFold
        splitter = splitter_cls(
            n_splits=evaluation.folds, shuffle=evaluation.shuffle, random_state=random_state
        )
        return list(splitter.split(positions, y if stratify else None))
    n_test = math.ceil(len(y) * evaluation.holdout_fraction)
    if not evaluation.shuffle:
        return [(positions[:-n_test], positions[-n_test:])]
    train, test = train_test_split(
        positions, test_size=n_test, random_state=seed, shuffle=True, stratify=y if stratify else None
    )
    return [(np.sort(train), np.sort(test))]
