"""Tabular preprocessing: the ColumnTransformer that turns a raw table into the net's float32 matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)

from backend.spec import ExperimentSpec, SpecError

#: Column roles that become features; every other role (id_like, constant, empty, text, datetime) is dropped.
FEATURE_ROLES = ("numeric", "categorical")

_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def feature_columns(spec: ExperimentSpec, schema: Sequence[Any]) -> dict[str, list[str]]:
    """Split the schema's columns into ``numeric``, ``categorical`` and ``dropped`` (with the reason).

    Booleans are categorical whatever their inferred role; the target and excluded columns are dropped.

    Returns
    -------
    dict
        ``{"numeric": [...], "categorical": [...], "dropped": {name: reason}}``.
    """
    numeric, categorical, dropped = [], [], {}
    for column in schema:
        name, role = column.name, column.role
        if name == spec.data.target:
            continue
        if name in spec.data.exclude:
            dropped[name] = "excluded"
        elif _is_boolean(column) and role not in ("constant", "empty"):
            categorical.append(name)
        elif role in FEATURE_ROLES:
            (numeric if role == "numeric" else categorical).append(name)
        else:
            dropped[name] = f"role {role}"
    return {"numeric": numeric, "categorical": categorical, "dropped": dropped}


def build_preprocessor(spec: ExperimentSpec, schema: Sequence[Any]) -> ColumnTransformer:
    """The unfitted ColumnTransformer for ``spec.data`` over the columns described by ``schema``.

    Numeric columns are imputed then scaled; categorical and boolean columns are imputed then one-hot
    encoded (a category unseen in training encodes as all zeros). Other columns are dropped. The output
    is a dense float32 array.

    Parameters
    ----------
    spec : ExperimentSpec
    schema : sequence of ColumnInfo
        Objects with ``name``, ``role``, ``dtype`` and ``n_distinct`` (from ``backend.data.infer_schema``).

    Raises
    ------
    SpecError
        When a categorical column has more than ``spec.data.max_categories`` distinct values, or no
        column is left to learn from.
    """
    data = spec.data
    groups = feature_columns(spec, schema)
    distinct = {c.name: c.n_distinct for c in schema}
    too_many = [name for name in groups["categorical"] if distinct[name] > data.max_categories]
    if too_many:
        raise SpecError(
            [
                f"column {name!r} has {distinct[name]} distinct values, more than data.max_categories = "
                f"{data.max_categories}: add it to data.exclude, or raise max_categories"
                for name in too_many
            ]
        )
    if not groups["numeric"] and not groups["categorical"]:
        raise SpecError(
            "no column is left to learn from: every column is the target, excluded, or of a role that is "
            f"not used ({', '.join(f'{k}: {v}' for k, v in groups['dropped'].items()) or 'none'})"
        )
    transformers = []
    if groups["numeric"]:
        transformers.append(("numeric", _numeric_steps(spec), groups["numeric"]))
    if groups["categorical"]:
        transformers.append(("categorical", _categorical_steps(spec), groups["categorical"]))
    return ColumnTransformer(
        transformers, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=True
    )


def _is_boolean(column: Any) -> bool:
    return str(column.dtype).lower() in ("bool", "boolean")


def _numeric_steps(spec: ExperimentSpec) -> Pipeline:
    strategy = spec.data.numeric_impute
    steps = [
        ("as_float", FunctionTransformer(as_float64, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy=strategy, fill_value=0.0 if strategy == "constant" else None)),
    ]
    if spec.data.numeric_scaler != "none":
        steps.append(("scale", _SCALERS[spec.data.numeric_scaler]()))
    steps.append(("as_float32", FunctionTransformer(as_float32, feature_names_out="one-to-one")))
    return Pipeline(steps)


def _categorical_steps(spec: ExperimentSpec) -> Pipeline:
    strategy = spec.data.categorical_impute
    return Pipeline(
        [
            ("as_text", FunctionTransformer(as_category_text, feature_names_out="one-to-one")),
            (
                "impute",
                SimpleImputer(strategy=strategy, fill_value="missing" if strategy == "constant" else None),
            ),
            ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float32)),
        ]
    )


# The helpers below sit at module level so fitted pipelines pickle.


def as_float64(frame: pd.DataFrame) -> np.ndarray:
    """Numeric columns as float64, with pandas' missing markers (``pd.NA``) and infinities as NaN.

    An infinity carries no magnitude a scaler or a network can use (spreadsheets write it for a division
    by zero), so it is imputed like a blank cell, at fit and at predict alike.
    """
    values = pd.DataFrame(frame).astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isinf(values), np.nan, values)


def as_float32(values: np.ndarray) -> np.ndarray:
    """Cast to float32, the dtype the net trains in."""
    return np.asarray(values, dtype=np.float32)


def as_category_text(frame: pd.DataFrame) -> np.ndarray:
    """Categories as text, missing as NaN, so a column reads the same at fit and at predict.

    Whole floats lose their ``.0``: a code column read as float in training (because it had gaps) and as
    int at prediction must give the same categories.
    """
    frame = pd.DataFrame(frame)
    out = np.empty(frame.shape, dtype=object)
    for j, name in enumerate(frame.columns):
        out[:, j] = [_category_text(v) for v in frame[name].tolist()]
    return out


def _category_text(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return np.nan
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return np.nan
        if float(value).is_integer():
            return str(int(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    return str(value)
