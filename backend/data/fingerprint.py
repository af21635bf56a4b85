"""A stable content hash of a DataFrame, used to key caches and dataset snapshots."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd

from backend.preprocess.image_files import is_image_name

_MISSING = b"\x00missing"
_CHUNK = 1 << 20


def fingerprint(df: pd.DataFrame) -> str:
    """SHA-256 hex digest of ``df``'s shape, column names, dtypes and values.

    The same content gives the same digest in any process; the index is ignored, so a
    re-indexed copy of the same rows hashes the same. Any changed value, name or dtype
    changes it. A column of image file paths is hashed by the files' bytes, not their
    paths: the same images in another folder give the same digest, and a changed image
    changes it (a path whose file cannot be read is hashed as text).
    """
    digest = hashlib.sha256()
    digest.update(f"{df.shape[0]}x{df.shape[1]}\n".encode())
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        # Name and dtype are length-prefixed so that no two headers run together the same way.
        header = f"{column.name!s}\x00{column.dtype!s}"
        digest.update(f"{len(header)}:{header}".encode())
        files = _image_file_hashes(column)
        digest.update(files if files is not None else _value_hashes(column).tobytes())
    return digest.hexdigest()


def _value_hashes(column: pd.Series):
    try:
        return pd.util.hash_pandas_object(column, index=False).to_numpy()
    except TypeError:  # unhashable cells, e.g. lists read from JSON
        return pd.util.hash_pandas_object(column.astype(str), index=False).to_numpy()


def _image_file_hashes(column: pd.Series) -> bytes | None:
    """One SHA-256 per cell of the files' bytes, when every value is an image path and one file at least
    exists; None otherwise (the column is then hashed as values)."""
    if column.dtype.kind not in "OUT":
        return None
    values = column.to_numpy(dtype=object)
    present = [v for v in values if not _is_missing(v)]
    if not present or not all(isinstance(v, str) and is_image_name(v) for v in present):
        return None
    seen: dict[str, bytes] = {}
    out = []
    for value in values:
        if _is_missing(value):
            out.append(_MISSING)
            continue
        if value not in seen:
            seen[value] = _file_digest(value)
        out.append(seen[value])
    if all(d.startswith(b"path:") for d in seen.values()):
        return None  # names of image files that are not here: plain text
    return b"".join(out)


def _file_digest(path: str) -> bytes:
    file_hash = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                file_hash.update(chunk)
    except OSError:
        return b"path:" + hashlib.sha256(os.fsencode(path)).digest()
    return b"file:" + file_hash.digest()


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA
