"""Checks of a spec's combined settings, and of a spec against the dataset it will run on.

Each check declares the fields it reads; a check is skipped when one of them already failed its own
field check, so every problem is reported once, in the words of the field at fault.

A warning is a combination that trains, but probably not as meant; it never makes a spec invalid.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.spec.sections import ARCHITECTURES_FOR

if TYPE_CHECKING:
    from backend.spec.experiment import ExperimentSpec


@dataclass(frozen=True)
class DataFacts:
    """What is known of the dataset when a spec is validated; ``None`` means unknown."""

    n_rows: int | None = None
    class_counts: Mapping[Any, int] | None = None
    columns: list[str] | None = None


Check = Callable[["ExperimentSpec", DataFacts], list[str]]
_CHECKS: list[tuple[tuple[str, ...], Check]] = []
_WARNINGS: list[tuple[tuple[str, ...], Check]] = []


def _reads(*fields: str, warning: bool = False) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        (_WARNINGS if warning else _CHECKS).append((fields, check))
        return check

    return register


def combination_problems(spec: ExperimentSpec, facts: DataFacts, skip: set[str]) -> list[str]:
    """Problems of combined settings, skipping checks that read a field named in ``skip``."""
    return _run(_CHECKS, spec, facts, skip)


def combination_warnings(spec: ExperimentSpec, facts: DataFacts, skip: set[str]) -> list[str]:
    """Combined settings that train, but probably not as meant; checks reading a field in ``skip`` are
    skipped (that field's own problem says enough)."""
    return _run(_WARNINGS, spec, facts, skip)


def _run(checks: list[tuple[tuple[str, ...], Check]], spec: ExperimentSpec, facts: DataFacts, skip: set[str]) -> list[str]:
    return [found for fields, check in checks if not skip.intersection(fields) for found in check(spec, facts)]


@_reads("data.target", "data.exclude")
def _target(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    target = spec.data.target
    if not target.strip():
        return ["data.target is empty: choose the column to predict"]
    if target in spec.data.exclude:
        return [f"data.exclude contains the target {target!r}: the target cannot be excluded"]
    return []


@_reads("data.target", "data.exclude")
def _columns_exist(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    if facts.columns is None:
        return []
    found = []
    target = spec.data.target
    if target.strip() and target not in facts.columns:
        found.append(f"data.target = {target!r} is not a column of the data; pick one of its columns")
    missing = [c for c in spec.data.exclude if c not in facts.columns]
    if missing:
        found.append(f"data.exclude = {missing!r}: not columns of the data; remove them from the list")
    return found


@_reads("training.valid_fraction")
def _valid_fraction_gap(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    fraction = spec.training.valid_fraction
    if 0 < fraction < 0.05:
        return [
            f"training.valid_fraction = {fraction!r}: must be 0 (no validation split) or between 0.05 and 0.5"
        ]
    return []


@_reads("training.early_stopping", "training.valid_fraction")
def _early_stopping_needs_split(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    if spec.training.early_stopping and spec.training.valid_fraction == 0:
        return [
            "training.early_stopping = True needs a validation split, but training.valid_fraction = 0: "
            "set a validation fraction between 0.05 and 0.5 or turn early stopping off"
        ]
    return []


@_reads("training.early_stopping", "training.patience", "training.max_epochs", warning=True)
def _patience_below_epochs(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    training = spec.training
    if training.early_stopping and training.patience >= training.max_epochs:
        return [
            f"training.patience = {training.patience} is not below training.max_epochs = "
            f"{training.max_epochs}: every epoch trains, since early stopping cannot stop early (the best "
            "epoch is still kept when restoring it is on); lower the patience or raise the epochs to let "
            "it stop early"
        ]
    return []


@_reads("data.task", "evaluation.mode", "evaluation.stratified")
def _stratified_needs_classes(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    evaluation = spec.evaluation
    if spec.data.task == "regression" and evaluation.mode == "cv" and evaluation.stratified:
        return [
            "evaluation.stratified = True with evaluation.mode = 'cv' on a regression task: "
            "stratified folds need classes; turn stratification off"
        ]
    return []


@_reads("data.task", "training.class_weight")
def _class_weight_needs_classes(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    weight = spec.training.class_weight
    if spec.data.task == "regression" and weight != "none":
        return [
            f"training.class_weight = {weight!r} on a regression task: class weights need classes; use 'none'"
        ]
    return []


@_reads("evaluation.mode", "evaluation.folds", "evaluation.holdout_fraction")
def _splits_fit_rows(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    n_rows, evaluation = facts.n_rows, spec.evaluation
    if n_rows is None:
        return []
    if evaluation.mode == "cv" and evaluation.folds > n_rows:
        return [
            f"evaluation.folds = {evaluation.folds} is more than the {n_rows} rows with a target: "
            f"use at most {n_rows} folds"
        ]
    if evaluation.mode == "holdout" and n_rows - math.ceil(n_rows * evaluation.holdout_fraction) < 2:
        return [
            f"evaluation.holdout_fraction = {evaluation.holdout_fraction} leaves fewer than 2 of {n_rows} rows "
            "for training: lower it or add rows"
        ]
    return []


@_reads(
    "data.target",
    "data.task",
    "evaluation.mode",
    "evaluation.folds",
    "evaluation.stratified",
    "evaluation.holdout_fraction",
)
def _classes_fit_splits(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    if facts.class_counts is None or spec.data.task != "classification":
        return []
    counts = {k: int(v) for k, v in facts.class_counts.items() if v > 0}
    if len(counts) < 2:
        return [
            f"data.target = {spec.data.target!r} has {len(counts)} class(es): classification needs at least 2"
        ]
    evaluation = spec.evaluation
    if not evaluation.stratified:
        return []
    rarest, fewest = min(counts.items(), key=lambda kv: kv[1])
    if evaluation.mode == "cv" and evaluation.folds > fewest:
        remedy = f"use at most {fewest} folds" if fewest >= 2 else "remove its rows"
        return [
            f"evaluation.folds = {evaluation.folds} but class {rarest!r} has only {fewest} row(s): "
            f"{remedy}, or turn stratification off"
        ]
    if evaluation.mode == "holdout":
        if fewest < 2:
            return [
                f"class {rarest!r} has only {fewest} row: a stratified holdout needs 2 per class; "
                "remove those rows or turn stratification off"
            ]
        n_test = math.ceil(sum(counts.values()) * evaluation.holdout_fraction)
        if n_test < len(counts):
            return [
                f"evaluation.holdout_fraction = {evaluation.holdout_fraction} holds out {n_test} rows, "
                f"fewer than the {len(counts)} classes: raise it or turn stratification off"
            ]
    return []


@_reads("data.modality", "model.architecture")
def _architecture_reads_modality(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    modality, architecture = spec.data.modality, spec.model.architecture
    fitting = ARCHITECTURES_FOR[modality]
    if architecture in fitting:
        return []
    return [
        f"model.architecture = {architecture!r} cannot read data.modality = {modality!r}: choose "
        f"{' or '.join(repr(a) for a in fitting)}"
    ]


@_reads("data.modality", "data.input_column", "data.target")
def _input_column(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    column = spec.data.input_column
    if spec.data.modality == "table" or not column:
        return []
    if column == spec.data.target:
        return [f"data.input_column = {column!r} is the target: choose the column holding the images or texts"]
    if facts.columns is not None and column not in facts.columns:
        return [f"data.input_column = {column!r} is not a column of the data; pick one of its columns"]
    return []
