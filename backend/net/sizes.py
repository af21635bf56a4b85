"""Filling in a zoo module's input and output sizes from the data, when the user left them ``None``."""

from __future__ import annotations

import inspect

import numpy as np
import torch


def _defaults(module_class) -> dict:
    try:
        parameters = inspect.signature(module_class.__init__).parameters
    except (TypeError, ValueError):
        return {}
    return {name: p.default for name, p in parameters.items() if p.default is not inspect.Parameter.empty}


def infer_module_sizes(module_class, given: dict, X, n_outputs: int | None) -> dict:
    """Sizes to pass to ``module_class``: only names it takes, that default to None and the user did not set.

    ``in_features`` is the number of columns, ``in_channels`` the channel axis of ``(N, C, H, W)`` images,
    ``num_embeddings`` / ``vocab_size`` one more than the largest token id, ``out_features`` ``n_outputs``.
    """
    if not inspect.isclass(module_class):
        return {}
    open_names = {name for name, default in _defaults(module_class).items() if default is None and name not in given}
    shape = tuple(X.shape) if hasattr(X, "shape") else None
    sizes: dict = {}
    if "in_features" in open_names and shape is not None and len(shape) >= 2:
        sizes["in_features"] = int(shape[1])
    if "in_channels" in open_names and shape is not None and len(shape) == 4:
        sizes["in_channels"] = int(shape[1])
    for name in ("num_embeddings", "vocab_size"):
        if name in open_names and shape is not None and _is_integer(X):
            sizes[name] = int(X.max()) + 1 if len(X) else 1
    if "out_features" in open_names and n_outputs is not None:
        sizes["out_features"] = int(n_outputs)
    return sizes


def _is_integer(X) -> bool:
    if isinstance(X, torch.Tensor):
        return not X.is_floating_point()
    return np.issubdtype(np.asarray(X).dtype, np.integer)
