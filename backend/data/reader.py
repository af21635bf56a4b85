"""Reading an uploaded table (CSV/TSV, Excel, Parquet, JSON) into a checked pandas DataFrame."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..limits import ENV as LIMIT_ENV
from ..limits import load_limits
from . import formats
from .sniff import EXTENSIONS, sniff_format
from .source import Source, TableReadError, open_source

_SUPPORTED = ", ".join(EXTENSIONS)


def read_table(source: Any, filename: str | None = None, sheet: str | None = None) -> pd.DataFrame:
    """Read a table from a path, bytes, or a binary file object.

    The format follows the file name's extension (``filename``, else the path's or the file
    object's name): .csv .tsv .txt .xlsx .xlsm .parquet .pq .json .jsonl .ndjson. Without a name
    the content is sniffed. Delimited text has its delimiter (, ; tab |), encoding (UTF-8 with
    or without BOM, UTF-16, else UTF-8 mixed with cp1252, each character read as written) and decimal comma detected. Cells such as "",
    "N/A", "NA", "null" are missing values in every format.

    Parameters
    ----------
    source : str, Path, bytes or binary file object
        Streamlit's ``UploadedFile`` is a file object; it is read from its start.
    filename : str, optional
        The name that decides the format, when ``source`` carries none or a misleading one.
    sheet : str, optional
        The sheet of an .xlsx workbook to read; the first one by default.

    Returns
    -------
    DataFrame
        String column names, a fresh RangeIndex, at least one row and one column.
        Columns with no name and no values (left by a trailing delimiter) are dropped.

    Raises
    ------
    TableReadError
        The file is empty, is larger or has more rows or columns than the limits of
        :mod:`backend.limits` allow, has a header but no rows, is binary under a text name, is not a
        workbook, lacks the sheet, has duplicate or blank column names, has nested values (lists,
        records), is a corrupt Parquet file, or has an unsupported extension. The message says what to do.
    """
    src = open_source(source, filename)
    fmt = _format_of(src)
    limits = load_limits()
    if src.size > limits.max_upload_mb * 1_000_000:
        raise TableReadError(
            f"{src.label} is {src.size / 1e6:,.1f} MB, more than this installation's limit of "
            f"{limits.max_upload_mb:,} MB (set by {LIMIT_ENV['max_upload_mb']}). Upload a sample of the rows, "
            "or ask the administrator to raise the limit."
        )
    if fmt != "excel" and sheet is not None:
        raise TableReadError(
            f"{src.label} is not an Excel workbook, so it has no sheets; leave the sheet unset."
        )
    if fmt == "csv":
        df, names = formats.read_csv(src)
    elif fmt == "excel":
        df, names = formats.read_excel(src, sheet)
    elif fmt == "parquet":
        df, names = formats.read_parquet(src)
    else:
        df, names = formats.read_json(src, lines=fmt == "jsonl")
    df = _checked(src, df, names)
    for count, name, what in ((len(df), "max_rows", "rows"), (df.shape[1], "max_columns", "columns")):
        if count > getattr(limits, name):
            raise TableReadError(
                f"{src.label} has {count:,} {what}, more than this installation's limit of "
                f"{getattr(limits, name):,} (set by {LIMIT_ENV[name]}). Upload fewer {what}, or ask the "
                "administrator to raise the limit."
            )
    return df


def list_sheets(source: Any, filename: str | None = None) -> list[str]:
    """Names of the sheets of an .xlsx workbook, in workbook order.

    Raises
    ------
    TableReadError
        The upload is not an Excel workbook.
    """
    src = open_source(source, filename)
    if _format_of(src) != "excel":
        raise TableReadError(f"{src.label} is not an Excel workbook (.xlsx), so it has no sheets.")
    with formats.open_workbook(src) as book:
        return [str(name) for name in book.sheet_names]


def _format_of(src: Source) -> str:
    if src.size == 0:
        raise TableReadError(f"{src.label} is empty (0 bytes). Upload a file that holds a table.")
    suffix = src.suffix
    if not suffix:
        return sniff_format(src.head(4096))
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if suffix == ".xls":
        raise TableReadError(
            f"{src.label} is a legacy Excel .xls workbook, which is not supported. "
            "Open it in Excel or LibreOffice and save it as .xlsx or CSV."
        )
    raise TableReadError(
        f"{src.label}: files ending in '{suffix}' are not supported. Supported extensions: {_SUPPORTED}."
    )


def _nested_columns(df: pd.DataFrame) -> list[str]:
    """Columns whose values are lists, arrays or records (Parquet's nested types, JSON arrays and objects)."""
    nested = []
    for position, dtype in enumerate(df.dtypes):
        if not pd.api.types.is_object_dtype(dtype):
            continue
        values = df.iloc[:, position].dropna().head(100)
        if any(isinstance(v, (list, dict, tuple, np.ndarray)) for v in values):
            nested.append(str(df.columns[position]))
    return nested


def _checked(src: Source, df: pd.DataFrame, names: list[str] | None) -> pd.DataFrame:
    """Validate column names and rows; name columns as the file wrote them."""
    df.columns = [str(name).strip() for name in (names if names is not None else df.columns)]
    if df.shape[1] == 0:
        raise TableReadError(f"{src.label} has no columns. Upload a file with a header row and data.")
    blank = [i for i, name in enumerate(df.columns) if not name]
    # A trailing delimiter leaves a nameless, empty column: an artefact, not data.
    dropped = [i for i in blank if df.iloc[:, i].isna().all()]
    if dropped and len(dropped) < df.shape[1]:
        df = df.iloc[:, [i for i in range(df.shape[1]) if i not in set(dropped)]]
        blank = [i for i, name in enumerate(df.columns) if not name]
    if blank:
        positions = ", ".join(str(i + 1) for i in blank)
        hint = (
            " A nameless first column is often a row index saved with the data: delete it or name it."
            if blank[0] == 0
            else ""
        )
        raise TableReadError(
            f"{src.label} has {len(blank)} column(s) without a name (position {positions}). "
            f"Give every column a name in the header row.{hint}"
        )
    counts = Counter(df.columns)
    duplicates = {name: n for name, n in counts.items() if n > 1}
    if duplicates:
        listed = ", ".join(f"'{name}' ({n} times)" for name, n in duplicates.items())
        raise TableReadError(
            f"{src.label} has duplicate column names: {listed}. Rename the columns so that each name is unique."
        )
    nested = _nested_columns(df)
    if nested:
        listed = ", ".join(f"'{name}'" for name in nested[:10]) + (", ..." if len(nested) > 10 else "")
        raise TableReadError(
            f"{src.label} has {len(nested)} column(s) of nested values (lists or records): {listed}. "
            "Torchwork reads flat tables: flatten these into one column per field, or drop them, and upload again."
        )
    if len(df) == 0:
        shown = ", ".join(list(df.columns)[:10]) + (", ..." if df.shape[1] > 10 else "")
        raise TableReadError(
            f"{src.label} has a header ({shown}) but no data rows. "
            "Add rows below the header, or check that you chose the right file or sheet."
        )
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0:
        df = df.reset_index(drop=True)
    return df
