"""Sniffing an upload from its first bytes: file format, text encoding, CSV delimiter and header."""

from __future__ import annotations

import codecs
import csv
import io
import re

from .legacy_text import UTF8_ELSE_CP1252

#: How much of a file is looked at to guess its encoding and delimiter.
HEAD_BYTES = 64 * 1024

#: Supported file extensions and the reader each one selects.
EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

DELIMITERS = (",", ";", "\t", "|")

# Signatures of binary formats people upload by mistake, with a name a user recognises.
_MAGIC: tuple[tuple[bytes, str, str | None], ...] = (
    (b"PK\x03\x04", "an Excel workbook or a zip archive", "excel"),
    (b"PAR1", "a Parquet file", "parquet"),
    (b"\xd0\xcf\x11\xe0", "a legacy Excel .xls workbook", "xls"),
    (b"%PDF", "a PDF document", None),
    (b"\x1f\x8b", "a gzip archive", None),
    (b"\x89PNG", "a PNG image", None),
    (b"\xff\xd8\xff", "a JPEG image", None),
)

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_DECIMAL_POINT = re.compile(r"^-?\d+\.\d+$")


def binary_kind(head: bytes) -> tuple[str, str | None] | None:
    """Describe ``head`` if it starts like a binary file, else None.

    Returns
    -------
    (description, format) or None
        ``format`` is the reader that could open it ("excel", "parquet"), "xls" for
        legacy workbooks, or None when no reader applies.
    """
    for magic, description, fmt in _MAGIC:
        if head.startswith(magic):
            return description, fmt
    if head.startswith(_UTF16_BOMS):
        return None
    if b"\x00" in head[:8192]:
        return "binary data", None
    return None


def sniff_format(head: bytes) -> str:
    """Guess the reader for content that came without a file name."""
    kind = binary_kind(head)
    if kind is not None and kind[1] is not None:
        return kind[1]
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        # One object per line is JSON Lines; one object spanning lines is plain JSON.
        first_line = text.split(b"\n", 1)[0].strip()
        return "jsonl" if first_line.endswith(b"}") and len(text) > len(first_line) else "json"
    return "csv"


def sniff_encoding(head: bytes, complete: bool) -> str:
    """Pick the encoding of a text file: UTF-8 (with or without BOM), UTF-16, else UTF-8 mixed with cp1252.

    ``complete`` says whether ``head`` is the whole file; if not, a multi-byte character cut at
    its end is not held against UTF-8.
    """
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        # A legacy Windows file, or one that mixes its rows with UTF-8 ones: each read as written.
        return UTF8_ELSE_CP1252


def decode_head(head: bytes, encoding: str) -> str:
    """Decode the sniffed head, dropping a BOM and a character cut at the end."""
    if encoding == "utf-8":
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    return head.decode(encoding, errors="ignore").lstrip("\ufeff")


def _records(text: str, delimiter: str, complete: bool, limit: int = 50) -> list[list[str]]:
    """Parse up to ``limit`` complete records of ``text``; the last one is dropped if it may be cut."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) > limit:
                break
    except csv.Error:
        pass
    if not complete and len(rows) > 1 and len(rows) <= limit:
        rows.pop()
    return rows[:limit]


def sniff_delimiter(text: str, complete: bool, default: str = ",") -> str:
    """Choose among , ; tab | the delimiter that splits the lines into the most consistent columns.

    A candidate must split the header into at least two fields; among those, the one whose data
    rows most often have the header's field count wins, then the one giving more columns.
    ``default`` is returned for single-column files.
    """
    best: tuple[float, int, int] | None = None
    chosen = default
    for rank, delimiter in enumerate(DELIMITERS):
        rows = _records(text, delimiter, complete)
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        data = rows[1:] or rows
        consistency = sum(len(row) == width for row in data) / len(data)
        score = (consistency, width, -rank)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


def header_fields(text: str, delimiter: str) -> list[str]:
    """The first record of ``text`` split on ``delimiter`` (quotes honoured)."""
    rows = _records(text, delimiter, complete=True, limit=1)
    return rows[0] if rows else []


def has_complete_header(text: str) -> bool:
    """Whether ``text`` holds the whole first record (a line end outside quotes)."""
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif char in "\r\n" and not in_quotes:
            return True
    return False


def has_quoted_line_break(text: str) -> bool:
    """Whether a quoted value in ``text`` spans lines."""
    if '"' not in text:
        return False
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif char == "\n" and in_quotes:
            return True
    return False


def sniff_decimal(text: str, delimiter: str, complete: bool) -> str:
    """Return "," when a semicolon file writes numbers with decimal commas (European exports)."""
    if delimiter != ";":
        return "."
    commas = points = 0
    for row in _records(text, delimiter, complete)[1:]:
        for field in row:
            field = field.strip()
            commas += bool(_DECIMAL_COMMA.match(field))
            points += bool(_DECIMAL_POINT.match(field))
    return "," if commas > 0 and points == 0 else "."
