"""ImageLoader: the pipeline step that turns image paths or bytes into normalised float32 image batches.

Small image sets come out as one ``(N, C, H, W)`` float32 array, which the net batches by index at full
speed. A set too large for memory comes out as an :class:`~backend.preprocess.image_dataset.ImageDataset`
that decodes each image when the net's DataLoader asks for it, in its worker processes
(``iterator_train__num_workers``): thousands of images never sit in memory as one array. Normalisation
(the mean and spread of each channel) is learned from the training images in ``fit``, by streaming over
them, so it costs no more memory than one image at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from backend.preprocess.image_files import (
    GRAY_MODES,
    ImageReadError,
    ImageSource,
    decode_image,
    image_mode,
    is_image_source,
)

COLORS = ("auto", "rgb", "gray")
OUTPUTS = ("auto", "array", "dataset")

#: With ``output="auto"``, a transformed set larger than this many bytes comes out as a lazy dataset.
IN_MEMORY_LIMIT = 256 * 2**20

# Images decoded at a time while learning the normalisation.
_CHUNK = 256


class ImageLoader(TransformerMixin, BaseEstimator):
    """Read images (file paths or raw bytes) into float32 ``(N, C, H, W)`` batches for a ConvNet.

    Parameters
    ----------
    column : str, optional
        The column holding the images when ``X`` is a DataFrame; ``None`` takes its only column.
    size : int or (int, int)
        Every image is resized to this ``(height, width)`` (an int: square).
    color : {"auto", "rgb", "gray"}
        ``"gray"``: one channel; ``"rgb"``: three; ``"auto"``: one if every training image is gray, else three.
    normalize : bool
        Standardise each channel with the mean and standard deviation of the training images; otherwise
        pixels are scaled to [0, 1].
    output : {"auto", "array", "dataset"}
        ``"array"``: one in-memory array; ``"dataset"``: an ImageDataset that decodes lazily; ``"auto"``:
        the array unless it would exceed :data:`IN_MEMORY_LIMIT` bytes.

    Attributes
    ----------
    n_channels_ : int
    size_ : tuple of int
        ``(height, width)``.
    mean_, std_ : ndarray of shape (n_channels,)
        Per-channel statistics of the training pixels in [0, 1] (0 and 1 when ``normalize=False``).

    Raises
    ------
    ImageReadError
        From ``fit`` and ``transform``, naming every image that cannot be read and why: a path by itself,
        bytes by their file name when ``X`` is a Series indexed by file names, else by their row.
    """

    def __init__(
        self,
        column: str | None = None,
        size: int | tuple[int, int] = 32,
        color: str = "auto",
        normalize: bool = True,
        output: str = "auto",
    ):
        self.column = column
        self.size = size
        self.color = color
        self.normalize = normalize
        self.output = output

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y=None) -> ImageLoader:
        """Learn the channel count and, with ``normalize``, each channel's mean and spread."""
        self._fit(X, keep=False)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit and transform, decoding each image once when the output is an in-memory array."""
        return self._fit(X, keep=True)

    def _fit(self, X, keep: bool):
        self._check_params()
        names, sources = image_sources(X, self.column)
        if not sources:
            raise ValueError("ImageLoader needs at least one image to fit.")
        self.size_ = _size_pair(self.size)
        failures: dict[str, str] = {}  # every bad image is named in one error, whichever pass found it
        self.n_channels_ = self._channels(names, sources, failures)
        self.mean_ = np.zeros(self.n_channels_, dtype=np.float32)
        self.std_ = np.ones(self.n_channels_, dtype=np.float32)
        if keep and not self._lazy(len(sources)):
            array = self._decode_all(names, sources, False, failures)
            if failures:
                raise ImageReadError(failures)
            if self.normalize:
                self.mean_, self.std_ = _statistics(_chunks_of(array))
                _normalize(array, self.mean_, self.std_)
            return array
        if self.normalize:
            self.mean_, self.std_ = _statistics(self._stream(names, sources, failures))
        elif failures:
            raise ImageReadError(failures)
        return self.transform(X) if keep else None

    def _check_params(self) -> None:
        if self.color not in COLORS:
            raise ValueError(f"color must be one of {', '.join(COLORS)}, got {self.color!r}.")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {self.output!r}.")
        _size_pair(self.size)

    def _channels(self, names: list[str], sources: list[Any], failures: dict[str, str]) -> int:
        """1 or 3; with ``color="auto"``, reads every header (not the pixels) to see if all are gray."""
        if self.color != "auto":
            return 1 if self.color == "gray" else 3
        gray = True
        for name, source in zip(names, sources, strict=True):
            try:
                _check_source(source)
                if image_mode(source) not in GRAY_MODES:
                    gray = False
            except ValueError as exc:
                failures[name] = str(exc)
        return 1 if gray else 3

    def _stream(self, names: list[str], sources: list[Any], failures: dict[str, str]) -> Iterator[np.ndarray]:
        """Decoded chunks of at most ``_CHUNK`` images, in [0, 1]; raises after naming every failure."""
        for start in range(0, len(sources), _CHUNK):
            chunk = self._decode_all(names[start : start + _CHUNK], sources[start : start + _CHUNK], False, failures)
            if not failures:
                yield chunk
        if failures:
            raise ImageReadError(failures)

    # ------------------------------------------------------------------ transforming

    def transform(self, X):
        """Images as a normalised float32 ``(N, C, H, W)`` array, or an ImageDataset (see ``output``)."""
        check_is_fitted(self, "n_channels_")
        names, sources = image_sources(X, self.column)
        if not self._lazy(len(sources)):
            return self._decode_all(names, sources, normalized=True)
        from backend.preprocess.image_dataset import ImageDataset  # torch is needed only here

        failures = {}
        for name, source in zip(names, sources, strict=True):
            try:
                _check_source(source)
                image_mode(source)
            except ValueError as exc:
                failures[name] = str(exc)
        if failures:
            raise ImageReadError(failures)
        return ImageDataset(names, sources, self.n_channels_, self.size_, self.mean_, self.std_)

    def _lazy(self, n_images: int) -> bool:
        if self.output != "auto":
            return self.output == "dataset"
        height, width = _size_pair(self.size)
        channels = getattr(self, "n_channels_", 3)
        return n_images * channels * height * width * 4 > IN_MEMORY_LIMIT

    def _decode_all(
        self, names: list[str], sources: list[Any], normalized: bool, failures: dict | None = None
    ) -> np.ndarray:
        own = failures is None
        failures = {} if own else failures
        out = np.empty((len(sources), self.n_channels_, *self.size_), dtype=np.float32)
        for i, (name, source) in enumerate(zip(names, sources, strict=True)):
            try:
                _check_source(source)
                out[i] = decode_image(source, self.n_channels_, self.size_)
            except ValueError as exc:
                failures[name] = str(exc)
        if own and failures:
            raise ImageReadError(failures)
        out *= np.float32(1 / 255)
        if normalized:
            _normalize(out, self.mean_, self.std_)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


# ---------------------------------------------------------------------- input handling


def image_sources(X, column: str | None = None) -> tuple[list[str], list[Any]]:
    """Names (for error messages) and sources of the images in ``X``.

    ``X`` is a sequence, array or Series of paths or bytes, or a DataFrame (its ``column``, or its only
    column). A path is named by itself. Bytes are named by their index label when it is a string (a Series
    indexed by file name: ``pd.Series(contents, index=file_names)``), else by their row (``"row 3"``, the
    index label for a Series).
    """
    if isinstance(X, str | bytes | bytearray | os.PathLike):
        raise TypeError("Pass a list of images (paths or bytes), not a single one: e.g. loader.transform([image]).")
    if isinstance(X, pd.DataFrame):
        X = _image_column(X, column)
    if isinstance(X, pd.Series):
        labels = list(X.index)
        values = X.tolist()
    else:
        array = np.asarray(X, dtype=object) if not isinstance(X, list | tuple) else None
        if array is not None and array.ndim == 2 and array.shape[1] == 1:
            values = array[:, 0].tolist()
        elif array is not None and array.ndim != 1:
            raise TypeError(f"Images must be a 1-D list of paths or bytes, got an array of shape {array.shape}.")
        else:
            values = list(X)
        labels = list(range(len(values)))
    names = [_source_name(label, v) for label, v in zip(labels, values, strict=True)]
    return names, values


def _source_name(label: Any, value: Any) -> str:
    if isinstance(value, str | os.PathLike):
        return os.fspath(value)
    if isinstance(label, str) and label.strip():
        return label
    return f"row {label}"


def _image_column(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is not None:
        if column not in frame.columns:
            raise ValueError(
                f"The images should be in column {column!r}, which is missing. Columns: {', '.join(map(str, frame.columns))}."
            )
        return frame[column]
    if frame.shape[1] != 1:
        raise ValueError(
            f"The table has {frame.shape[1]} columns: set ImageLoader(column=...) to the one holding the images."
        )
    return frame.iloc[:, 0]


def _check_source(source: Any) -> bool:
    if source is None or (isinstance(source, float) and np.isnan(source)):
        raise ValueError("missing value instead of an image")
    if not isinstance(source, ImageSource):
        raise ValueError(f"a {type(source).__name__}, not a file path or bytes")
    return True


def find_image_column(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> str | None:
    """The first column (not in ``exclude``) whose values are image paths or bytes; None when there is none."""
    for name in frame.columns:
        if name in exclude:
            continue
        values = frame[name].dropna()
        if len(values) and values.head(50).map(is_image_source).all():
            return str(name)
    return None


# ---------------------------------------------------------------------- statistics


def _size_pair(size) -> tuple[int, int]:
    pair = (size, size) if isinstance(size, Integral) else tuple(size) if isinstance(size, Sequence) else None
    if pair is None or len(pair) != 2 or not all(isinstance(s, Integral) and 1 <= s <= 4096 for s in pair):
        raise ValueError(f"size must be an int or (height, width) of ints between 1 and 4096, got {size!r}.")
    return int(pair[0]), int(pair[1])


def _chunks_of(array: np.ndarray) -> Iterator[np.ndarray]:
    for start in range(0, len(array), _CHUNK):
        yield array[start : start + _CHUNK]


def _statistics(chunks: Iterator[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation over chunks of ``(n, C, H, W)`` pixels (float64 sums)."""
    total = squares = None
    count = 0
    for chunk in chunks:
        values = chunk.astype(np.float64)
        sums = values.sum(axis=(0, 2, 3))
        total = sums if total is None else total + sums
        sq = np.square(values).sum(axis=(0, 2, 3))
        squares = sq if squares is None else squares + sq
        count += chunk.shape[0] * chunk.shape[2] * chunk.shape[3]
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    # A channel with (almost) no spread, e.g. a blank set, is centred but not scaled up.
    std = np.where(std < 1e-3, 1.0, std)
    return mean.astype(np.float32), std.astype(np.float32)


def _normalize(array: np.ndarray, mean: np.ndarray, std: np.ndarray) -> None:
    array -= mean[None, :, None, None]
    array /= std[None, :, None, None]
