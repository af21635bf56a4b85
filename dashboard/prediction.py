"""Predicting with a fitted pipeline: new rows checked against its training columns, then predicted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from backend.preprocess.tabular import as_category_text


class MissingColumns(ValueError):
    """New rows lack columns the model reads; the message names them."""


@dataclass
class InputCheck:
    """How new rows compare with the training columns.

    ``missing``: columns the model reads that the rows lack (prediction is impossible).
    ``extra``: columns the model never saw (ignored). ``unseen``: column -> number of rows holding a
    category the model never saw in training (such a value encodes as all zeros).
    """

    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    unseen: dict[str, int] = field(default_factory=dict)


def _preprocessor(pipeline: Any) -> Any:
    steps = getattr(pipeline, "named_steps", {})
    return steps.get("preprocess")


def used_columns(pipeline: Any) -> list[str]:
    """The columns the pipeline's preprocessing reads, in training order."""
    pre = _preprocessor(pipeline)
    names = [str(c) for c in getattr(pipeline, "feature_names_in_", [])]
    if pre is None or not hasattr(pre, "transformers_"):
        return names
    used = {str(c) for name, step, cols in pre.transformers_ if name != "remainder" and step != "drop" for c in cols}
    return [n for n in names if n in used]


def check_rows(pipeline: Any, rows: pd.DataFrame) -> InputCheck:
    """Compare ``rows`` with the columns and categories ``pipeline`` was trained on."""
    known = [str(c) for c in getattr(pipeline, "feature_names_in_", [])]
    present = {str(c) for c in rows.columns}
    check = InputCheck(
        missing=[c for c in used_columns(pipeline) if c not in present],
        extra=[str(c) for c in rows.columns if str(c) not in known],
    )
    pre = _preprocessor(pipeline)
    for _name, step, cols in getattr(pre, "transformers_", []):
        encoder = getattr(step, "named_steps", {}).get("one_hot")
        if encoder is None:
            continue
        for col, categories in zip(cols, encoder.categories_, strict=True):
            if col not in present:
                continue
            text = pd.Series(as_category_text(rows[[col]])[:, 0])
            novel = text.notna() & ~text.isin(set(categories.tolist()))
            if novel.any():
                check.unseen[str(col)] = int(novel.sum())
    return check


def predict(pipeline: Any, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with a ``prediction`` column first, then ``proba_<class>`` columns for a classifier.

    Columns the model never saw are ignored; training columns the model does not read may be absent.

    Raises
    ------
    MissingColumns
        The rows lack columns the model reads.
    """
    check = check_rows(pipeline, rows)
    if check.missing:
        names = ", ".join(f"'{c}'" for c in check.missing)
        raise MissingColumns(
            f"The new rows lack {len(check.missing)} column(s) the model was trained on: {names}. "
            "Add them (with the same names) and upload the file again."
        )
    known = [str(c) for c in getattr(pipeline, "feature_names_in_", rows.columns)]
    features = rows.rename(columns=str).reindex(columns=known)
    out = pd.DataFrame({"prediction": pipeline.predict(features)}, index=rows.index)
    if hasattr(pipeline, "predict_proba") and hasattr(pipeline, "classes_"):
        proba = np.asarray(pipeline.predict_proba(features))
        for j, cls in enumerate(pipeline.classes_):
            out[f"proba_{cls}"] = proba[:, j]
    return pd.concat([out, rows], axis=1)
