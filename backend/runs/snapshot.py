"""Writing a run's files (its data snapshot, its spec) so a reader never sees half a file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pandas as pd


def write_parquet(data: pd.DataFrame, path: Path) -> None:
    """Write ``data`` to ``path`` as Parquet, under a temporary name first and then renamed into place.

    Raises
    ------
    ValueError
        When a column name is not text, or a column mixes types Parquet cannot store together.
    """
    not_text = [c for c in data.columns if not isinstance(c, str)]
    if not_text:
        raise ValueError(
            f"Column names must be text to store the dataset; these are not: {not_text[:5]!r}. "
            "Rename the columns (for example data.columns = data.columns.astype(str))."
        )
    tmp = _temporary_name(path)
    try:
        data.to_parquet(tmp)
    except (ValueError, TypeError, NotImplementedError) as exc:
        tmp.unlink(missing_ok=True)
        raise ValueError(
            f"The dataset could not be stored ({type(exc).__name__}: {exc}). Give each column a single "
            "type, for example by converting mixed columns to text."
        ) from exc
    except BaseException:  # a full disk: no half-written file stays behind
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) under a temporary name first, then rename it into place."""
    tmp = _temporary_name(path)
    try:
        tmp.write_text(text, encoding="utf-8")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def _temporary_name(path: Path) -> Path:
    # In the same folder, so the rename is atomic; hidden, so a folder listing does not show it.
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
