"""Turning what users pass to fit/predict (numpy, pandas, tensors, datasets) into tensors the loop batches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.utils.validation import validate_data
from torch.utils.data import Dataset


class NonNumericInputError(ValueError):
    """A table with columns the net cannot read as numbers."""


def check_numeric_frame(X) -> None:
    """Name the non-numeric columns of a DataFrame and point to the preprocessing pipeline."""
    if not isinstance(X, pd.DataFrame):
        return
    bad = [f"{name!r} ({dtype})" for name, dtype in X.dtypes.items() if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype))]
    if bad:
        raise NonNumericInputError(
            f"X has non-numeric column{'s' if len(bad) > 1 else ''}: {', '.join(bad)}. The net reads numbers only: "
            "encode these columns first, e.g. Pipeline([('preprocess', ColumnTransformer([... OneHotEncoder() ...])), "
            "('net', net)]), or build the whole pipeline from a table with backend.pipeline.build_pipeline."
        )


def validate_X(estimator, X, reset: bool) -> np.ndarray | torch.Tensor | Dataset:
    """Validate ``X`` (finite, numeric, consistent with fit) and record ``n_features_in_`` when ``reset``."""
    if isinstance(X, Dataset):
        return X
    if isinstance(X, torch.Tensor):
        _check_tensor(estimator, X, reset)
        return X
    check_numeric_frame(X)
    return validate_data(estimator, X, reset=reset, allow_nd=True, dtype="numeric", ensure_all_finite=True)


def validate_X_y(estimator, X, y, reset: bool, regression: bool):
    """Validate ``X`` and ``y`` together (same length, finite); ``y`` stays 2-D only for regression."""
    if isinstance(X, Dataset) or isinstance(X, torch.Tensor) or y is None:
        X = validate_X(estimator, X, reset)
        if y is not None:
            y = y.cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
            if len(y) != len(X):
                raise ValueError(f"X has {len(X)} samples but y has {len(y)}; they must have the same length.")
        return X, y
    check_numeric_frame(X)
    return validate_data(
        estimator,
        X,
        y,
        reset=reset,
        allow_nd=True,
        dtype="numeric",
        ensure_all_finite=True,
        multi_output=regression,
        y_numeric=regression,
    )


def _check_tensor(estimator, X: torch.Tensor, reset: bool) -> None:
    if X.is_floating_point() and not bool(torch.isfinite(X).all()):
        raise ValueError("Input X contains NaN or infinity. Impute or drop those values before fitting.")
    if X.ndim < 2:
        raise ValueError(f"Expected at least a 2-D tensor X, got shape {tuple(X.shape)}.")
    if reset:
        estimator.n_features_in_ = int(X.shape[1])
    elif hasattr(estimator, "n_features_in_") and X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def to_input_tensor(X, integer_input: bool, device: torch.device) -> torch.Tensor | Dataset:
    """float64/bool/int -> float32 tensor on ``device``; integers stay int64 for embedding models."""
    if isinstance(X, Dataset):
        return X
    if isinstance(X, torch.Tensor):
        tensor = X
    else:
        array = np.asarray(X)
        if not array.flags.writeable:
            array = array.copy()
        tensor = torch.from_numpy(array)
    if integer_input and not tensor.is_floating_point() and tensor.dtype != torch.bool:
        return tensor.to(device=device, dtype=torch.int64)
    if tensor.dtype != torch.float32:
        tensor = tensor.to(torch.float32)
    return tensor.to(device)


def to_weight_tensor(sample_weight, n_samples: int, device: torch.device) -> torch.Tensor | None:
    """Validate ``sample_weight`` (one non-negative number per sample) as a float32 tensor."""
    if sample_weight is None:
        return None
    from sklearn.utils.validation import _check_sample_weight

    weights = _check_sample_weight(sample_weight, np.empty((n_samples, 1)), dtype=np.float64, ensure_non_negative=True)
    return torch.as_tensor(weights, dtype=torch.float32, device=device)
