"""The search section of a spec: which hyperparameters a search varies, over what values, on what budget.

A search space maps a parameter of the net, named as in skorch (``lr``, ``max_epochs``,
``module__hidden_units``, ``optimizer__weight_decay``), to either a list of values or a range::

    {"lr": {"low": 1e-4, "high": 0.1, "log": true},     # a range; log-uniform suits learning rates
     "max_epochs": {"values": [10, 20]},                 # a list of values
     "module__hidden_units": [[32], [64, 32]]}           # a bare list is a list of values

A range of two whole numbers samples whole numbers. Grid search needs lists; random and halving search
take both. Whether each name is a real parameter of the pipeline is checked by the search itself, before
any training, since that needs the pipeline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.spec.checks import DataFacts, _reads
from backend.spec.fields import setting

if TYPE_CHECKING:
    from backend.spec.experiment import ExperimentSpec

SEARCH_MODES = ("none", "grid", "random", "halving")
#: Scoring metrics a search can rank candidates by; "auto" is accuracy for classification, R² for regression.
SCORING = ("auto", "accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss", "rmse", "mae", "r2")
SCORING_BY_TASK = {
    "classification": ("auto", "accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss"),
    "regression": ("auto", "rmse", "mae", "r2"),
}

#: Spec fields a search can vary -> the net parameter each one sets (the search space's key for it). A
#: field's own metadata says which architectures it applies to (``FieldSpec.applies_to``).
SEARCHABLE = {
    "training.lr": "lr",
    "training.max_epochs": "max_epochs",
    "training.batch_size": "batch_size",
    "model.hidden_units": "module__hidden_units",
    "model.activation": "module__activation",
    "model.dropout": "module__dropout",
    "model.batch_norm": "module__batch_norm",
    "model.conv_channels": "module__channels",
    "model.kernel_size": "module__kernel_size",
    "model.pooling": "module__pooling",
    "model.embedding_dim": "module__embedding_dim",
    "model.rnn_type": "module__rnn_type",
    "model.rnn_units": "module__hidden_size",
    "model.rnn_layers": "module__num_layers",
    "model.bidirectional": "module__bidirectional",
}

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RANGE_KEYS = {"low", "high", "log"}


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: a list of ``values``, or a range from ``low`` to ``high``.

    A range is log-uniform when ``log``, and holds whole numbers when ``integer`` (both bounds whole).
    """

    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def is_range(self) -> bool:
        return self.values is None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def space_problems(space: Any, where: str = "search.space") -> list[str]:
    """Problems of a search space's shape, each naming the entry at fault; empty when it is well formed."""
    if not isinstance(space, Mapping):
        return [f"{where} must map parameter names to values or ranges, got {type(space).__name__}"]
    problems = []
    for name, entry in space.items():
        at = f"{where}[{name!r}]"
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(
                f"{at}: a parameter name is letters, digits and underscores, such as 'lr' or "
                "'module__hidden_units'"
            )
            continue
        if isinstance(entry, list | tuple):
            entry = {"values": entry}
        if not isinstance(entry, Mapping):
            problems.append(f"{at} = {entry!r}: give a list of values or a range {{'low': ..., 'high': ...}}")
        elif "values" in entry:
            values = entry["values"]
            if set(entry) != {"values"}:
                problems.append(f"{at}: give either 'values' or 'low'/'high', not both")
            elif not isinstance(values, list | tuple) or not values:
                problems.append(f"{at}: 'values' must be a non-empty list")
        else:
            problems += _range_problems(entry, at)
    return problems


def _range_problems(entry: Mapping[str, Any], at: str) -> list[str]:
    unknown = sorted(set(entry) - _RANGE_KEYS)
    if unknown or "low" not in entry or "high" not in entry:
        return [f"{at}: a range needs 'low' and 'high' (and optionally 'log'); a list needs 'values'"]
    low, high, log = entry["low"], entry["high"], entry.get("log", False)
    if not (_is_number(low) and _is_number(high)):
        return [f"{at}: 'low' and 'high' must be finite numbers, got {low!r} and {high!r}"]
    if not isinstance(log, bool):
        return [f"{at}: 'log' must be true or false, got {log!r}"]
    if low >= high:
        return [f"{at}: 'low' ({low!r}) must be below 'high' ({high!r})"]
    if log and low <= 0:
        return [f"{at}: a log-uniform range needs 'low' above 0, got {low!r}"]
    return []


def parse_space(space: Mapping[str, Any]) -> list[Dimension]:
    """The dimensions of a well-formed search space (see :func:`space_problems`), in its order.

    Raises
    ------
    ValueError
        When the space is not well formed, with every problem.
    """
    problems = space_problems(space)
    if problems:
        raise ValueError("; ".join(problems))
    dimensions = []
    for name, entry in space.items():
        if isinstance(entry, list | tuple):
            entry = {"values": entry}
        if "values" in entry:
            dimensions.append(Dimension(name, values=tuple(entry["values"])))
        else:
            low, high = entry["low"], entry["high"]
            integer = _is_whole(low) and _is_whole(high)
            dimensions.append(
                Dimension(name, low=low, high=high, log=bool(entry.get("log", False)), integer=integer)
            )
    return dimensions


def _check_space(value: Any, where: str) -> list[str]:
    return space_problems(value, where)


@dataclass
class SearchSpec:
    """An optional hyperparameter search: its mode, the space searched, the budget, the score and folds."""

    mode: str = setting(
        "none",
        label="Search",
        kind="choice",
        choices=SEARCH_MODES,
        help="None trains the settings as given; grid tries every combination of the listed values; random "
        "samples candidates; halving samples candidates and gives the promising ones more rows.",
    )
    space: dict[str, Any] = setting(
        {},
        label="Searched hyperparameters",
        kind="mapping",
        check=_check_space,
        help="Each net parameter to vary (lr, max_epochs, module__hidden_units, ...) with a list of values "
        "or a range from low to high (log-uniform for learning rates).",
    )
    n_candidates: int = setting(
        10,
        label="Candidates",
        kind="int",
        min=1,
        max=10000,
        help="Random and halving search: how many settings to try. Grid search tries its whole grid.",
    )
    time_limit_s: float = setting(
        0.0,
        label="Time limit (seconds)",
        kind="float",
        min=0.0,
        max=7 * 24 * 3600.0,
        help="Start no more candidates once this many seconds have passed; 0 means no limit.",
    )
    scoring: str = setting(
        "auto",
        label="Rank candidates by",
        kind="choice",
        choices=SCORING,
        help="The score that picks the best candidate; auto is accuracy for classification, R² for "
        "regression.",
    )
    folds: int = setting(
        3, label="Search folds", kind="int", min=2, max=20, help="Cross-validation folds per candidate."
    )
    halving_factor: int = setting(
        3,
        label="Halving factor",
        kind="int",
        min=2,
        max=10,
        help="Halving search: each round keeps one candidate in this many and gives it this many times "
        "the rows.",
    )


# -- checks of the search against the rest of the spec and the data -------------------------------------


@_reads("search.mode", "search.space")
def _mode_fits_space(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    search = spec.search
    if search.mode == "none":
        return []
    if not search.space:
        return [
            f"search.mode = {search.mode!r} needs at least one hyperparameter in search.space: add one "
            "(for example lr with the values [0.01, 0.001]) or set search.mode to 'none'"
        ]
    if search.mode == "grid":
        ranges = [d.name for d in parse_space(search.space) if d.is_range]
        if ranges:
            return [
                f"search.space gives {', '.join(map(repr, ranges))} a range, but grid search needs a list of "
                "values for each: list the values, or use random or halving search"
            ]
    return []


@_reads("data.task", "search.mode", "search.scoring")
def _scoring_fits_task(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    task, scoring = spec.data.task, spec.search.scoring
    if spec.search.mode == "none" or scoring in SCORING_BY_TASK.get(task, SCORING):
        return []
    allowed = ", ".join(repr(s) for s in SCORING_BY_TASK[task])
    return [f"search.scoring = {scoring!r} does not score {task}: use one of {allowed}"]


@_reads("data.target", "data.task", "search.mode", "search.folds", "evaluation.stratified")
def _search_folds_fit_rows(spec: ExperimentSpec, facts: DataFacts) -> list[str]:
    search = spec.search
    if search.mode == "none":
        return []
    if facts.n_rows is not None and search.folds > facts.n_rows:
        return [
            f"search.folds = {search.folds} is more than the {facts.n_rows} rows with a target: "
            f"use at most {facts.n_rows} folds"
        ]
    stratified = spec.data.task == "classification" and spec.evaluation.stratified
    if stratified and facts.class_counts:
        counts = {k: int(v) for k, v in facts.class_counts.items() if v > 0}
        if counts:
            rarest, fewest = min(counts.items(), key=lambda kv: kv[1])
            if search.folds > fewest:
                return [
                    f"search.folds = {search.folds} but class {rarest!r} has only {fewest} row(s): use at "
                    "most that many folds, or turn stratification off"
                ]
    return []
