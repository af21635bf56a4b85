"""Parsers for each supported table format, turning a :class:`Source` into a raw DataFrame.

Each parser returns the frame and the column names exactly as the file writes them (pandas would
otherwise rename duplicates to ``a.1`` and blanks to ``Unnamed: 1``, hiding both from the checks
in :mod:`backend.data.reader`).
"""

from __future__ import annotations

import json
import re
import zipfile
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from .legacy_text import UTF8_ELSE_CP1252
from .sniff import (
    HEAD_BYTES,
    binary_kind,
    decode_head,
    has_complete_header,
    has_quoted_line_break,
    header_fields,
    sniff_decimal,
    sniff_delimiter,
    sniff_encoding,
)
from .source import Source, TableReadError

#: Cell strings read as missing values (pandas' own list), in every format.
NA_VALUES: tuple[str, ...] = (
    "", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "NULL", "null", "None",
    "#N/A", "#N/A N/A", "#NA", "<NA>", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN",
)  # fmt: skip

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

Parsed = tuple[pd.DataFrame, list[str] | None]


# --- CSV and other delimited text -------------------------------------------------------------


def read_csv(src: Source) -> Parsed:
    """Read delimited text, sniffing its encoding, delimiter and decimal mark."""
    head = src.head(HEAD_BYTES)
    size = src.size
    if not head.strip():
        raise TableReadError(f"{src.label} holds only blank space, no table. Upload a file with data.")
    kind = binary_kind(head)
    if kind is not None:
        raise _binary_error(src, kind)
    encoding = sniff_encoding(head, complete=size <= len(head))
    text = decode_head(head, encoding)
    n = HEAD_BYTES
    # A very wide header may not fit in the first block; read on until it ends.
    while size > len(head) and not has_complete_header(text):
        n *= 4
        head = src.head(n)
        text = decode_head(head, encoding)
    complete = size <= len(head)
    delimiter = sniff_delimiter(text, complete, default="\t" if src.suffix == ".tsv" else ",")
    decimal = sniff_decimal(text, delimiter, complete)
    names = header_fields(text, delimiter)

    # pyarrow cuts the file into blocks at line breaks without looking at quotes, so a value
    # spanning lines can straddle two blocks; pandas' own parser reads such files correctly.
    engine = "c" if has_quoted_line_break(text) else "pyarrow"
    df = _parse_csv(src, delimiter, encoding, decimal, engine)
    if encoding == "utf-8" and _holds_raw_bytes(df):
        # The first block was valid UTF-8 but a later one is not: rows in a legacy Windows encoding.
        encoding = UTF8_ELSE_CP1252
        df = _parse_csv(src, delimiter, encoding, decimal, engine)
    return _ungroup_numbers(df, decimal), names if len(names) == df.shape[1] else None


def _parse_csv(src: Source, delimiter: str, encoding: str, decimal: str, engine: str) -> pd.DataFrame:
    options: dict[str, Any] = dict(
        sep=delimiter,
        encoding=encoding,
        decimal=decimal,
        na_values=list(NA_VALUES),
        keep_default_na=False,
    )
    if engine == "pyarrow":
        try:
            return pd.read_csv(src.buffer(), engine="pyarrow", **options)
        except pd.errors.EmptyDataError as err:
            raise TableReadError(
                f"{src.label} holds no table. Upload a file with a header row and data."
            ) from err
        except pd.errors.ParserError:
            # Often a value spanning lines further down than the sniffed head (see read_csv);
            # pandas' own parser either reads it or says which line is wrong.
            pass
    try:
        return pd.read_csv(src.buffer(), engine="c", **options)
    except UnicodeDecodeError:
        if encoding == "utf-8":
            return _parse_csv(src, delimiter, UTF8_ELSE_CP1252, decimal, "c")
        raise
    except pd.errors.ParserError as err:
        raise TableReadError(
            f"{src.label} could not be read as {_DELIMITER_NAMES[delimiter]}-separated text: {str(err).strip()}. "
            "Check that every row has as many fields as the header and that quotes are closed."
        ) from err


# Numbers written with digit groups ("1,234.5"; "1.234,5" or "1 234,5" with decimal commas), and plain ones.
_GROUPED = {
    ".": (re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"), re.compile(r"^[+-]?\d*\.?\d+$"), ","),
    ",": (re.compile(r"^[+-]?\d{1,3}([. \u00a0\u202f]\d{3})+(,\d*)?$"), re.compile(r"^[+-]?\d*,?\d+$"), ". \u00a0\u202f"),
}


def _ungroup_numbers(df: pd.DataFrame, decimal: str) -> pd.DataFrame:
    """Turn text columns of numbers with thousands separators into numbers.

    A column converts only when every value is a number and at least one has digit groups, so codes
    such as "1,2" in a comma-decimal file or free text are left alone.
    """
    grouped, plain, separators = _GROUPED[decimal]
    for position, dtype in enumerate(df.dtypes):
        if not (pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)):
            continue
        values = df.iloc[:, position].dropna()
        if values.empty or not all(isinstance(v, str) for v in values.head(100)):
            continue
        text = values.astype(str).str.strip()
        is_grouped = text.str.match(grouped)
        if not is_grouped.any() or not (is_grouped | text.str.match(plain)).all():
            continue
        digits = text.str.replace(f"[{separators}]", "", regex=True).str.replace(decimal, ".", regex=False)
        numbers = pd.to_numeric(digits, errors="coerce")
        df.isetitem(position, numbers.reindex(df.index))
    return df


def _holds_raw_bytes(df: pd.DataFrame) -> bool:
    # pyarrow reads text that is not valid UTF-8 as binary, which pandas shows as bytes objects.
    for position, dtype in enumerate(df.dtypes):
        if not pd.api.types.is_object_dtype(dtype):
            continue
        values = df.iloc[:, position].dropna()
        if len(values) and isinstance(values.iloc[0], bytes):
            return True
    return False


def _binary_error(src: Source, kind: tuple[str, str | None]) -> TableReadError:
    description, fmt = kind
    advice = {
        "excel": "Upload it with its real extension (.xlsx), or export the table as CSV.",
        "parquet": "Upload it with its real extension (.parquet).",
        "xls": "Open it in Excel or LibreOffice and save it as .xlsx or CSV.",
    }.get(fmt or "", "Export the table as CSV (comma- or tab-separated text) and upload that.")
    return TableReadError(f"{src.label} is not a text table: it looks like {description}. {advice}")


# --- Excel --------------------------------------------------------------------------------------


def open_workbook(src: Source) -> pd.ExcelFile:
    """Open an .xlsx workbook, or explain why it is not one."""
    head = src.head(8)
    kind = binary_kind(head)
    if kind is not None and kind[1] == "xls":
        raise TableReadError(
            f"{src.label} is a legacy Excel .xls workbook, which is not supported. "
            "Open it in Excel or LibreOffice and save it as .xlsx or CSV."
        )
    try:
        return pd.ExcelFile(src.buffer(), engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as err:
        if not head:
            raise TableReadError(
                f"{src.label} is empty (0 bytes). Upload a workbook that holds a table."
            ) from err
        raise TableReadError(
            f"{src.label} is not a valid Excel workbook (.xlsx): {err}. "
            "Open it in Excel or LibreOffice and save it as .xlsx, or export the table as CSV."
        ) from err


# How many rows are searched for the header; blank rows above it are skipped.
_HEADER_SEARCH_ROWS = 50


def read_excel(src: Source, sheet: str | None) -> Parsed:
    """Read one sheet (the first when ``sheet`` is None) of an .xlsx workbook."""
    with open_workbook(src) as book:
        sheets = [str(name) for name in book.sheet_names]
        if sheet is None:
            if not sheets:
                raise TableReadError(f"{src.label} has no sheets. Upload a workbook that holds a table.")
            sheet = sheets[0]
        elif sheet not in sheets:
            listed = ", ".join(f"'{name}'" for name in sheets)
            raise TableReadError(
                f"{src.label} has no sheet named '{sheet}'. Its sheets are: {listed}. Choose one of them."
            )
        try:
            # The first rows read raw, so duplicate and blank names in the header stay visible.
            top = pd.read_excel(book, sheet, header=None, nrows=_HEADER_SEARCH_ROWS, na_filter=False)
            rows = [["" if _is_blank(v) else str(v) for v in row] for row in top.itertuples(index=False)]
            # The header is the first row with anything in it: blank rows above it are skipped.
            start = next((i for i, row in enumerate(rows) if any(row)), None)
            if start is None:
                raise pd.errors.EmptyDataError
            df = pd.read_excel(book, sheet, header=start, na_values=list(NA_VALUES), keep_default_na=False)
        except pd.errors.EmptyDataError as err:
            raise TableReadError(
                f"Sheet '{sheet}' of {src.label} is empty. Choose a sheet that holds a table."
            ) from err
    names = rows[start]
    return df, names if len(names) == df.shape[1] else None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


# --- Parquet ------------------------------------------------------------------------------------


def read_parquet(src: Source) -> Parsed:
    """Read a Parquet file."""
    try:
        df = pd.read_parquet(src.buffer(), engine="pyarrow")
    except (pa.ArrowException, OSError, ValueError) as err:
        raise TableReadError(
            f"{src.label} could not be read as Parquet ({err}): the file is truncated or corrupt. "
            "Upload it again, or export the table again from its source."
        ) from err
    if isinstance(df.index, pd.RangeIndex) or all(name is None for name in df.index.names):
        df = df.reset_index(drop=True)
    else:
        # A named index (pandas wrote it with the data) is part of the table the user sees.
        df = df.reset_index()
    return mask_na_strings(df), None


# --- JSON ---------------------------------------------------------------------------------------


def read_json(src: Source, lines: bool) -> Parsed:
    """Read JSON: an array of records, an object of columns, or one record per line (JSON Lines)."""
    if lines:
        frame = _read_json_lines_arrow(src)
        if frame is not None:
            return mask_na_strings(frame), None
    raw = src.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode(UTF8_ELSE_CP1252)
    try:
        records = (
            [json.loads(line) for line in text.splitlines() if line.strip()] if lines else json.loads(text)
        )
    except json.JSONDecodeError as err:
        if not lines and err.msg == "Extra data":
            return read_json(Source(src.name, data=raw), lines=True)
        kind = "JSON Lines (one object per line)" if lines else "JSON"
        raise TableReadError(
            f"{src.label} is not valid {kind}: {err}. Fix the file or export it again."
        ) from err
    return mask_na_strings(_frame_from_json(src, records)), None


def _read_json_lines_arrow(src: Source) -> pd.DataFrame | None:
    """pyarrow's fast JSON Lines reader; None when the file needs the slower, more lenient path."""
    try:
        table = pa_json.read_json(src.buffer())
        table.validate(full=True)  # pyarrow takes text that is not UTF-8 without checking it
        while any(pa.types.is_struct(field.type) for field in table.schema):
            table = table.flatten()
        return table.to_pandas()
    except (pa.ArrowException, OSError):
        # e.g. a field holding a number in one row and "N/A" in another, or text that is not UTF-8.
        return None


def _frame_from_json(src: Source, data: Any) -> pd.DataFrame:
    if isinstance(data, dict):
        values = list(data.values())
        if len(data) == 1 and isinstance(values[0], list):
            data = values[0]  # a wrapper such as {"data": [...]}
        elif values and all(isinstance(v, list) for v in values):
            lengths = {len(v) for v in values}
            if len(lengths) > 1:
                raise TableReadError(
                    f"{src.label} holds columns of different lengths ({sorted(lengths)}). "
                    "Give every column the same number of values."
                )
            return pd.DataFrame(data)
        elif values and all(isinstance(v, dict) for v in values):
            return pd.DataFrame(data)  # {"column": {"row": value}}
        else:
            data = [data]
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return pd.json_normalize(data)
    raise TableReadError(
        f'{src.label} does not hold a table. Use an array of records ([{{"a": 1}}, ...]), '
        'an object of columns ({"a": [1, 2]}), or one record per line (.jsonl).'
    )


def mask_na_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Turn NA-like strings ("N/A", "null", ...) into missing values in text and mixed columns.

    A mixed column such as ``[1, "N/A", 2]`` becomes numeric once its placeholders are gone.
    Columns that are typed as strings in the file stay strings.
    """
    for position, dtype in enumerate(df.dtypes):
        mixed = pd.api.types.is_object_dtype(dtype)
        if not (mixed or pd.api.types.is_string_dtype(dtype)):
            continue
        column = df.iloc[:, position]
        try:
            is_na = column.isin(NA_VALUES)
        except TypeError:  # unhashable cells (lists in JSON)
            continue
        if is_na.any():
            column = column.mask(is_na)
            df.isetitem(position, column.infer_objects() if mixed else column)
        elif mixed:
            df.isetitem(position, column.infer_objects())
    return df
