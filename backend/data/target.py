"""Guessing the learning task from a target column, and checking a target before training."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TASKS = ("classification", "regression")

#: Integer targets with at most this many distinct values are guessed to be class labels.
MAX_INT_CLASSES = 20
#: More classes than this on a numeric target means it is a quantity, not a label.
MAX_CLASSES = 100


@dataclass(frozen=True)
class TaskGuess:
    """The task :func:`infer_task` proposes, and why in words a user reads."""

    task: str
    reason: str


@dataclass
class TargetCheck:
    """Problems with a chosen target: errors block training, warnings do not."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n_missing: int = 0

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors


def infer_task(y: pd.Series) -> TaskGuess:
    """Propose "classification" or "regression" for target ``y``.

    Strings, booleans and categories are labels; integers with few distinct values
    (at most :data:`MAX_INT_CLASSES`, repeating) are labels; other numbers are quantities.
    """
    values = y.dropna()
    n_distinct = int(values.nunique())
    dtype = y.dtype
    if len(values) == 0:
        return TaskGuess("classification", "no values: every target is missing")
    if pd.api.types.is_bool_dtype(dtype):
        return TaskGuess("classification", "true/false values")
    if isinstance(dtype, pd.CategoricalDtype):
        return TaskGuess("classification", f"{n_distinct} categories")
    if not pd.api.types.is_numeric_dtype(dtype):
        kind = "string" if pd.api.types.is_string_dtype(dtype) else "non-numeric"
        return TaskGuess("classification", f"{n_distinct} distinct {kind} values")
    if _is_integral(values):
        if n_distinct <= MAX_INT_CLASSES and (n_distinct <= 2 or n_distinct * 2 <= len(values)):
            return TaskGuess("classification", f"{n_distinct} distinct integer values")
        return TaskGuess("regression", f"{n_distinct} distinct integer values: a count or quantity")
    return TaskGuess("regression", f"continuous numbers ({n_distinct} distinct values)")


def check_target(df: pd.DataFrame, target: str, task: str, n_folds: int | None = None) -> TargetCheck:
    """Check that ``df[target]`` can be learned as ``task`` (with ``n_folds``-fold CV, if given).

    Errors: the column is missing, all missing, constant (one class), non-numeric or infinite for
    regression, more than :data:`MAX_CLASSES` classes on a continuous-looking target (or more than
    :data:`MAX_INT_CLASSES` fractional values), more classes than half the rows, fewer rows than folds. Warnings: rows with a missing target (dropped before training), classes with
    fewer samples than folds.
    """
    check = TargetCheck()
    if task not in TASKS:
        check.errors.append(f"Unknown task '{task}'. Choose 'classification' or 'regression'.")
        return check
    if target not in df.columns:
        shown = ", ".join(f"'{c}'" for c in list(df.columns)[:20]) + (", ..." if df.shape[1] > 20 else "")
        check.errors.append(f"There is no column '{target}'. Choose one of: {shown}.")
        return check
    y = df[target]
    if isinstance(y, pd.DataFrame):
        check.errors.append(f"More than one column is named '{target}'. Rename them so each name is unique.")
        return check
    check.n_missing = int(y.isna().sum())
    values = y.dropna()
    if len(values) == 0:
        check.errors.append(f"Every value of '{target}' is missing. Choose a column that holds the target.")
        return check
    if check.n_missing:
        check.warnings.append(
            f"{check.n_missing} row(s) with a missing '{target}' will be dropped before training."
        )
    n_distinct = int(values.nunique())
    if n_distinct == 1:
        what = "class" if task == "classification" else "value"
        check.errors.append(
            f"'{target}' has a single {what} ({_show(values.iloc[0])}): there is nothing to learn. "
            "Choose a column whose values vary."
        )
        return check
    if task == "regression":
        _check_regression(check, values, target)
    else:
        _check_classification(check, values, target, n_distinct)
    if n_folds is not None:
        _check_folds(check, values, target, task, n_folds)
    return check


def _check_regression(check: TargetCheck, values: pd.Series, target: str) -> None:
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        examples = ", ".join(_show(v) for v in values.drop_duplicates().head(3).tolist())
        check.errors.append(
            f"Regression needs a numeric target, but '{target}' holds {dtype} values (e.g. {examples}). "
            "Choose classification, or a numeric column."
        )
    elif not np.isfinite(values.to_numpy(dtype=np.float64)).all():
        check.errors.append(f"'{target}' holds infinite values. Remove or replace them before training.")


def _check_classification(check: TargetCheck, values: pd.Series, target: str, n_distinct: int) -> None:
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if numeric and MAX_INT_CLASSES < n_distinct <= MAX_CLASSES and not _is_integral(values):
        check.errors.append(
            f"'{target}' has {n_distinct} distinct fractional values (e.g. {_show(values.iloc[0])}) and looks "
            "continuous: as classification each value would be its own class. Choose regression."
        )
        return
    if n_distinct <= MAX_CLASSES:
        return
    if not numeric and n_distinct * 2 > len(values):
        # Most classes then hold a single row: an identifier or free text, not a label.
        check.errors.append(
            f"'{target}' has {n_distinct} classes in {len(values)} rows, so most classes have one row to learn "
            "from, as an identifier or free text would. Choose a column of labels that repeat."
        )
        return
    if numeric:
        check.errors.append(
            f"'{target}' has {n_distinct} distinct numeric values and looks continuous: "
            "as classification each value would be its own class. Choose regression."
        )
    else:
        check.warnings.append(
            f"'{target}' has {n_distinct} classes; most will have few samples to learn from."
        )


def _check_folds(check: TargetCheck, values: pd.Series, target: str, task: str, n_folds: int) -> None:
    if len(values) < n_folds:
        check.errors.append(
            f"Only {len(values)} row(s) have a '{target}', fewer than the {n_folds} folds. "
            "Use fewer folds or more data."
        )
        return
    if task != "classification":
        return
    counts = values.value_counts()
    small = counts[counts < n_folds]
    if len(small) == len(counts):
        # Stratified splitting needs at least one class that fills every fold.
        check.errors.append(
            f"Every class of '{target}' has fewer samples than the {n_folds} folds "
            f"(the largest has {int(counts.iloc[0])}). Use fewer folds or more data."
        )
    elif len(small):
        listed = ", ".join(f"{_show(label)} ({n})" for label, n in small.head(10).items())
        more = f" and {len(small) - 10} more" if len(small) > 10 else ""
        check.warnings.append(
            f"Class(es) with fewer samples than the {n_folds} folds: {listed}{more}. "
            "Some folds will miss them; use fewer folds or add samples."
        )


def _is_integral(values: pd.Series) -> bool:
    array = values.to_numpy(dtype=np.float64)
    return bool(np.isfinite(array).all() and np.all(array == np.round(array)))


def _show(value: object) -> str:
    """A label as users wrote it: strings quoted, numbers plain (not ``np.int64(3)``)."""
    if isinstance(value, str):
        return repr(value)
    return str(value.item() if isinstance(value, np.generic) else value)
