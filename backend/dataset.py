"""Training data as the loop sees it: the validation split and batching by index.

In-memory tensors are batched by indexing (one gather per batch, no per-sample ``Dataset`` and collate),
which keeps the wrapper's cost close to a hand-written loop. A ``torch.utils.data.Dataset`` (images read
from disk, say) goes through a ``DataLoader`` instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from torch.utils.data import DataLoader, Dataset, Subset

Batch = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]

#: Parameters the in-memory batcher understands; every DataLoader argument is accepted too.
BATCHER_PARAMS = {"batch_size", "shuffle", "drop_last"}


def iterator_param_names() -> set[str]:
    """Names accepted after ``iterator_train__`` / ``iterator_valid__``."""
    loader = {p for p in inspect.signature(DataLoader.__init__).parameters if p not in ("self", "dataset")}
    return BATCHER_PARAMS | loader


@dataclass
class Split:
    """One side of the split: inputs, encoded targets, the original targets (for scorers), sample weights."""

    X: torch.Tensor | Dataset
    y: torch.Tensor | None = None
    y_original: np.ndarray | None = None
    sample_weight: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.X)

    def subset(self, indices: np.ndarray) -> Split:
        if isinstance(self.X, torch.Tensor):
            index = torch.as_tensor(indices, device=self.X.device)
            X = self.X[index]
        else:
            X = Subset(self.X, indices.tolist())
        return Split(
            X=X,
            y=None if self.y is None else self.y[torch.as_tensor(indices, device=self.y.device)],
            y_original=None if self.y_original is None else self.y_original[indices],
            sample_weight=None
            if self.sample_weight is None
            else self.sample_weight[torch.as_tensor(indices, device=self.sample_weight.device)],
        )


class ValidSplit:
    """Hold out part of the training data for validation.

    Parameters
    ----------
    cv : float or int
        A float in (0, 1) is the validation fraction; an int k holds out 1/k of the data.
    stratified : bool, optional
        Keep class proportions in both parts. ``None`` (default) stratifies for classifiers.
    random_state : int, optional
        Seed of the split; ``None`` draws a new split each fit.
    """

    def __init__(self, cv: float | int = 0.2, stratified: bool | None = None, random_state: int | None = None):
        self.cv = cv
        self.stratified = stratified
        self.random_state = random_state

    def fraction(self) -> float:
        if isinstance(self.cv, Integral) and not isinstance(self.cv, bool):
            if self.cv < 2:
                raise ValueError(f"ValidSplit(cv={self.cv}) needs an int of at least 2 or a float in (0, 1).")
            return 1.0 / int(self.cv)
        if isinstance(self.cv, Real) and 0.0 < float(self.cv) < 1.0:
            return float(self.cv)
        raise ValueError(f"ValidSplit(cv={self.cv!r}) needs a float in (0, 1) or an int of at least 2.")

    def __call__(self, n_samples: int, y: np.ndarray | None = None, classifier: bool = False):
        """Return ``(train_indices, valid_indices)`` for ``n_samples`` rows."""
        fraction = self.fraction()
        n_valid = int(np.ceil(n_samples * fraction))
        if n_samples < 2 or n_samples - n_valid < 1:
            raise ValueError(
                f"Cannot hold out {fraction:.0%} of {n_samples} sample{'s' if n_samples != 1 else ''} for "
                "validation. Use more data, or train_split=None to train without a validation split."
            )
        stratify = classifier if self.stratified is None else self.stratified
        if stratify and y is not None:
            _, counts = np.unique(y, return_counts=True)
            # Stratifying needs two members per class and room for every class in the validation part.
            stratify = counts.min() >= 2 and n_valid >= len(counts) and n_samples - n_valid >= len(counts)
        splitter_class = StratifiedShuffleSplit if stratify and y is not None else ShuffleSplit
        splitter = splitter_class(n_splits=1, test_size=n_valid, random_state=self.random_state)
        train, valid = next(splitter.split(np.zeros(n_samples), y if stratify else None))
        return np.sort(train), np.sort(valid)

    def __repr__(self) -> str:
        return f"ValidSplit(cv={self.cv!r}, stratified={self.stratified!r}, random_state={self.random_state!r})"


def iterate_batches(
    split: Split,
    batch_size: int,
    shuffle: bool,
    generator: torch.Generator | None,
    drop_last: bool = False,
    loader_params: dict | None = None,
    device: torch.device | None = None,
) -> Iterator[Batch]:
    """Yield ``(X, y, sample_weight)`` batches; ``batch_size=-1`` means the whole split at once."""
    n = len(split)
    size = n if batch_size == -1 else batch_size
    if not isinstance(split.X, torch.Tensor):
        yield from _loader_batches(split, size, shuffle, generator, drop_last, loader_params or {}, device)
        return
    if shuffle:
        order = torch.randperm(n, generator=generator).to(split.X.device)
        stop = n - n % size if drop_last else n
        for start in range(0, stop, size):
            index = order[start : start + size]
            yield (
                split.X[index],
                None if split.y is None else split.y[index],
                None if split.sample_weight is None else split.sample_weight[index],
            )
        return
    stop = n - n % size if drop_last else n
    for start in range(0, stop, size):
        end = start + size
        yield (
            split.X[start:end],
            None if split.y is None else split.y[start:end],
            None if split.sample_weight is None else split.sample_weight[start:end],
        )


class _WithTargets(Dataset):
    """Items of a dataset paired with their target and weight, so a DataLoader shuffles them together."""

    def __init__(self, split: Split):
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, i: int) -> dict:
        item = self.split.X[i]
        pair = isinstance(item, tuple | list) and len(item) == 2
        parts = {"X": item[0] if pair else item}
        if self.split.y is not None:
            parts["y"] = self.split.y[i]
        elif pair:
            parts["y"] = item[1]  # the dataset carries its own targets
        if self.split.sample_weight is not None:
            parts["w"] = self.split.sample_weight[i]
        return parts


def _loader_batches(split, batch_size, shuffle, generator, drop_last, loader_params, device) -> Iterator[Batch]:
    params = {k: v for k, v in loader_params.items() if k not in BATCHER_PARAMS}
    loader = DataLoader(
        _WithTargets(split), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=generator,
        **params,
    )
    for parts in loader:
        yield tuple(
            None if parts.get(key) is None else parts[key].to(device) if device is not None else parts[key]
            for key in ("X", "y", "w")
        )
