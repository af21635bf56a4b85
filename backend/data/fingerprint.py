"""A stable content hash of a DataFrame, used to key caches and dataset snapshots."""

from __future__ import annotations

import hashlib

import pandas as pd


def fingerprint(df: pd.DataFrame) -> str:
    """SHA-256 hex digest of ``df``'s shape, column names, dtypes and values.

    The same content gives the same digest in any process; the index is ignored, so a
    re-indexed copy of the same rows hashes the same. Any changed value, name or dtype
    changes it.
    """
    digest = hashlib.sha256()
    digest.update(f"{df.shape[0]}x{df.shape[1]}\n".encode())
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        # Name and dtype are length-prefixed so that no two headers run together the same way.
        header = f"{column.name!s}\x00{column.dtype!s}"
        digest.update(f"{len(header)}:{header}".encode())
        digest.update(_value_hashes(column).tobytes())
    return digest.hexdigest()


def _value_hashes(column: pd.Series):
    try:
        return pd.util.hash_pandas_object(column, index=False).to_numpy()
    except TypeError:  # unhashable cells, e.g. lists read from JSON
        return pd.util.hash_pandas_object(column.astype(str), index=False).to_numpy()
