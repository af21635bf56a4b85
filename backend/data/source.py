"""One view over the three kinds of upload a reader accepts: a path, bytes, or a binary file object."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class TableReadError(ValueError):
    """A file could not be read as a table; the message says what is wrong and what to do."""


@dataclass
class Source:
    """The content of an upload and the name it came with.

    Paths stay on disk, so readers that take a path (pyarrow's CSV and Parquet readers) can read
    the file directly without a copy in memory.
    """

    name: str | None
    path: Path | None = None
    data: bytes | None = None

    @property
    def label(self) -> str:
        """How messages refer to this upload."""
        return f"'{self.name}'" if self.name else "The uploaded data"

    @property
    def suffix(self) -> str:
        """The lower-case extension of the name, with its dot ("" when there is none)."""
        return Path(self.name).suffix.lower() if self.name else ""

    @property
    def size(self) -> int:
        if self.path is not None:
            return self.path.stat().st_size
        assert self.data is not None
        return len(self.data)

    def head(self, n: int) -> bytes:
        """The first ``n`` bytes."""
        if self.path is not None:
            with open(self.path, "rb") as f:
                return f.read(n)
        assert self.data is not None
        return self.data[:n]

    def buffer(self) -> str | io.BytesIO:
        """Something pandas and pyarrow readers open: the path, or a fresh in-memory file."""
        if self.path is not None:
            return str(self.path)
        assert self.data is not None
        return io.BytesIO(self.data)

    def read_bytes(self) -> bytes:
        if self.path is not None:
            return self.path.read_bytes()
        assert self.data is not None
        return self.data


def open_source(source: Any, filename: str | None = None) -> Source:
    """Wrap a path, bytes or binary file object as a :class:`Source`.

    A file object is read from its start and left open; Streamlit's ``UploadedFile`` is one.
    The name comes from ``filename``, else the path, else the file object's ``name``.

    Raises
    ------
    TableReadError
        The path does not exist or is a folder.
    TypeError
        ``source`` is none of the accepted kinds.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.exists():
            raise TableReadError(f"No file at '{path}'. Check the path and try again.")
        if path.is_dir():
            raise TableReadError(f"'{path}' is a folder, not a file. Give the path of a table file.")
        return Source(name=filename or path.name, path=path)
    if isinstance(source, bytes | bytearray | memoryview):
        return Source(name=filename, data=bytes(source))
    if hasattr(source, "read"):
        name = filename
        if name is None and isinstance(getattr(source, "name", None), str):
            name = os.path.basename(source.name)
        return Source(name=name, data=_read_file_object(source))
    raise TypeError(
        f"Cannot read a table from a {type(source).__name__}. "
        "Pass a file path, the file's bytes, or a file opened in binary mode."
    )


def _read_file_object(obj: Any) -> bytes:
    # getvalue() (BytesIO, UploadedFile) returns everything whatever the position, so the same
    # upload can be read twice (e.g. list its sheets, then read one).
    if hasattr(obj, "getvalue"):
        content = obj.getvalue()
    else:
        if getattr(obj, "seekable", lambda: False)():
            obj.seek(0)
        content = obj.read()
    if isinstance(content, str):
        content = content.encode("utf-8")
    return bytes(content)
