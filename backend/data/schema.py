"""Inferring each column's role (numeric, categorical, text, id-like, ...) from its values."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

ROLES = ("numeric", "categorical", "text", "id_like", "constant", "datetime", "empty")

#: Integer columns with at most this many distinct values are read as categories (e.g. 0/1, 1-5).
MAX_INT_CATEGORIES = 10
#: Unique-per-row columns shorter than this are not called identifiers unless their name says so.
MIN_ROWS_FOR_ID = 10
#: How many values string heuristics look at; enough to judge, cheap on a million rows.
SAMPLE_SIZE = 1000

_ID_NAME = re.compile(
    r"(^|[_\s.-])(id|ids|uuid|guid|key|index|idx)$|^unnamed: ?0$|^(id|row|record)[_\s-]?(no|num|number|nr)?$",
    re.I,
)
_DATE_LIKE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{2,4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
)


@dataclass(frozen=True)
class ColumnInfo:
    """What :func:`infer_schema` found out about one column.

    ``role`` is one of :data:`ROLES`; ``note`` is a short reason shown to users. ``n_infinite`` counts
    ``inf`` and ``-inf`` values, which the pipeline treats as missing.
    """

    name: str
    role: str
    dtype: str
    n_missing: int
    n_distinct: int
    note: str
    n_infinite: int = 0


def infer_schema(df: pd.DataFrame) -> list[ColumnInfo]:
    """Infer the role of every column of ``df``, in column order.

    Roles: ``numeric`` (numbers), ``categorical`` (few distinct strings, booleans or integers),
    ``text`` (long, free-form strings), ``id_like`` (a unique string or integer per row),
    ``constant`` (one distinct value), ``datetime`` (dates or date strings), ``empty`` (all missing).
    """
    return [_column_info(str(df.columns[i]), df.iloc[:, i]) for i in range(df.shape[1])]


def _column_info(name: str, column: pd.Series) -> ColumnInfo:
    n_missing = int(column.isna().sum())
    values = column.dropna()
    n_distinct = _n_distinct(values)
    role, note = _role(name, column, values, n_distinct)
    n_infinite = _n_infinite(values)
    if n_infinite:
        note += f"; {n_infinite:,} infinite value{'s' if n_infinite != 1 else ''}, treated as missing"
    return ColumnInfo(name, role, str(column.dtype), n_missing, n_distinct, note, n_infinite)


def _n_infinite(values: pd.Series) -> int:
    if not pd.api.types.is_float_dtype(values.dtype):
        return 0
    return int(np.isinf(values.to_numpy(dtype=np.float64, na_value=np.nan)).sum())


def _n_distinct(values: pd.Series) -> int:
    try:
        return int(values.nunique())
    except TypeError:  # unhashable cells, e.g. lists read from JSON
        return int(values.astype(str).nunique())


def _role(name: str, column: pd.Series, values: pd.Series, n_distinct: int) -> tuple[str, str]:
    dtype = column.dtype
    n = len(values)
    if n == 0:
        return "empty", "every value is missing"
    if n_distinct == 1:
        return "constant", f"a single value ({_show(values.iloc[0])}): carries no information"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime", "dates and times"
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical", "true/false values"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical", f"{n_distinct} categories"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return _numeric_role(name, column, values, n_distinct)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "numeric", "durations"
    return _string_role(name, column, values, n_distinct)


def _numeric_role(name: str, column: pd.Series, values: pd.Series, n_distinct: int) -> tuple[str, str]:
    n = len(values)
    array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = array[np.isfinite(array)]
    integral = len(finite) == n and bool(np.all(finite == np.round(finite)))
    if not integral:
        return "numeric", "numbers"
    unique = n_distinct == len(column)
    if unique and _looks_like_id(name, finite):
        return "id_like", "unique integer per row: looks like an identifier"
    if n_distinct <= MAX_INT_CATEGORIES and n_distinct * 2 <= n:
        return "categorical", f"{n_distinct} distinct integer values: read as categories"
    return "numeric", "whole numbers"


def _looks_like_id(name: str, integers: np.ndarray) -> bool:
    """A unique integer column is an identifier if its name says so or it counts rows (1, 2, 3, ...)."""
    if _ID_NAME.search(name.strip()):
        return True
    if len(integers) < MIN_ROWS_FOR_ID:
        return False
    # A running number: consecutive values, in any order.
    return bool(integers.max() - integers.min() == len(integers) - 1)


def _string_role(name: str, column: pd.Series, values: pd.Series, n_distinct: int) -> tuple[str, str]:
    n = len(values)
    sample = values.sample(SAMPLE_SIZE, random_state=0) if n > SAMPLE_SIZE else values
    strings = sample.astype(str)
    if _looks_like_dates(strings):
        return "datetime", "strings that parse as dates"
    words = strings.str.split().str.len()
    lengths = strings.str.len()
    distinct_ratio = n_distinct / n
    if distinct_ratio >= 0.5 and (words.mean() >= 3 or lengths.mean() >= 40):
        return "text", f"free-form text (about {words.mean():.0f} words per value)"
    if n_distinct == len(column) and (len(column) >= MIN_ROWS_FOR_ID or _ID_NAME.search(name.strip())):
        return "id_like", "unique string per row: looks like an identifier"
    if distinct_ratio > 0.5 and n_distinct > 50:
        return "categorical", f"{n_distinct} distinct values (high cardinality)"
    return "categorical", f"{n_distinct} distinct values"


def _looks_like_dates(strings: pd.Series) -> bool:
    if not strings.str.match(_DATE_LIKE).mean() >= 0.95:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when each value needs its own format guess
        parsed = pd.to_datetime(strings, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 30 else text[:27] + "..."
