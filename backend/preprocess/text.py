"""TextVectorizer: the pipeline step that turns raw strings into padded int64 token-id sequences.

Texts are split into lower-cased words and punctuation marks by a regular expression (no download, no
model), mapped through a vocabulary learned from the training texts, cut to a length cap and padded on
the right. Id 0 is padding, id 1 stands for any token not in the vocabulary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

PADDING_ID = 0
UNKNOWN_ID = 1
PADDING_TOKEN = "<pad>"
UNKNOWN_TOKEN = "<unk>"

# Words (with inner apostrophes: "don't") and single punctuation marks.
_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text: Any, lowercase: bool = True) -> list[str]:
    """The tokens of one text; a missing value (None, NaN) is an empty text."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return []
    text = str(text)
    return _TOKEN.findall(text.lower() if lowercase else text)


class TextVectorizer(TransformerMixin, BaseEstimator):
    """Map texts to rows of token ids: int64 ``(N, sequence_length_)``, right-padded with 0.

    Parameters
    ----------
    column : str, optional
        The column holding the texts when ``X`` is a DataFrame; ``None`` takes its only column.
    max_tokens : int
        Vocabulary size, padding and unknown ids included: the ``max_tokens - 2`` most frequent tokens
        are kept (ties broken alphabetically).
    min_freq : int
        Tokens seen fewer times than this in the training texts are unknown.
    max_length : int
        Length cap: longer texts keep their first ``max_length`` tokens.
    lowercase : bool
        Lower-case texts before splitting them.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Token -> id, ``"<pad>"`` (0) and ``"<unk>"`` (1) included.
    sequence_length_ : int
        Width of the output: the longest training text, capped at ``max_length`` (at least 1).
    """

    def __init__(
        self,
        column: str | None = None,
        max_tokens: int = 20000,
        min_freq: int = 1,
        max_length: int = 200,
        lowercase: bool = True,
    ):
        self.column = column
        self.max_tokens = max_tokens
        self.min_freq = min_freq
        self.max_length = max_length
        self.lowercase = lowercase

    def fit(self, X, y=None) -> TextVectorizer:
        """Learn the vocabulary and the output width from the training texts."""
        for name, value, low in (("max_tokens", self.max_tokens, 3), ("min_freq", self.min_freq, 1), ("max_length", self.max_length, 1)):
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be a whole number of at least {low}, got {value!r}.")
        texts = text_values(X, self.column)
        counts: Counter[str] = Counter()
        longest = 0
        for text in texts:
            # Only the tokens the model will see count, so every kept token occurs in the training ids.
            tokens = tokenize(text, self.lowercase)[: self.max_length]
            counts.update(tokens)
            longest = max(longest, len(tokens))
        kept = sorted((t for t, c in counts.items() if c >= self.min_freq), key=lambda t: (-counts[t], t))
        self.vocabulary_ = {PADDING_TOKEN: PADDING_ID, UNKNOWN_TOKEN: UNKNOWN_ID}
        for token in kept[: self.max_tokens - 2]:
            self.vocabulary_[token] = len(self.vocabulary_)
        self.sequence_length_ = max(1, longest)
        return self

    @property
    def vocabulary_size_(self) -> int:
        """Number of ids, padding and unknown included."""
        check_is_fitted(self, "vocabulary_")
        return len(self.vocabulary_)

    def transform(self, X) -> np.ndarray:
        """Token ids, int64 of shape ``(n_texts, sequence_length_)``; unknown tokens are 1, padding 0."""
        check_is_fitted(self, "vocabulary_")
        texts = text_values(X, self.column)
        width = self.sequence_length_
        out = np.zeros((len(texts), width), dtype=np.int64)
        lookup = self.vocabulary_.get
        for i, text in enumerate(texts):
            ids = [lookup(token, UNKNOWN_ID) for token in tokenize(text, self.lowercase)[:width]]
            out[i, : len(ids)] = ids
        return out

    def tokens(self) -> list[str]:
        """The vocabulary in id order (``tokens()[i]`` is the token of id ``i``)."""
        check_is_fitted(self, "vocabulary_")
        return list(self.vocabulary_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


def text_values(X, column: str | None = None) -> list[Any]:
    """The texts in ``X``: a sequence, array or Series of strings, or a DataFrame's ``column`` (or only column)."""
    if isinstance(X, str):
        raise TypeError("Pass a list of texts, not a single string: e.g. vectorizer.transform([text]).")
    if isinstance(X, pd.DataFrame):
        if column is not None:
            if column not in X.columns:
                raise ValueError(
                    f"The texts should be in column {column!r}, which is missing. Columns: {', '.join(map(str, X.columns))}."
                )
            X = X[column]
        elif X.shape[1] == 1:
            X = X.iloc[:, 0]
        else:
            raise ValueError(
                f"The table has {X.shape[1]} columns: set TextVectorizer(column=...) to the one holding the texts."
            )
    if isinstance(X, pd.Series):
        return X.tolist()
    array = np.asarray(X, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        return array[:, 0].tolist()
    if array.ndim != 1:
        raise TypeError(f"Texts must be a 1-D list of strings, got an array of shape {array.shape}.")
    return array.tolist()


def find_text_column(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> str | None:
    """The column (not in ``exclude``) of strings with the most words per value; None without strings."""
    best, best_words = None, 0.0
    for name in frame.columns:
        if name in exclude:
            continue
        values = frame[name].dropna()
        sample = values.head(200)
        if not len(sample) or not sample.map(lambda v: isinstance(v, str)).all():
            continue
        words = float(np.mean([len(tokenize(v)) for v in sample]))
        if words > best_words:
            best, best_words = str(name), words
    return best


def describe_texts(texts: Iterable[Any], top: int = 20, lowercase: bool = True) -> dict[str, Any]:
    """Length statistics (in tokens) and the most frequent tokens of a set of texts.

    Returns
    -------
    dict
        ``n_texts``, ``n_empty``, ``lengths`` (``min``, ``median``, ``mean``, ``p95``, ``max``),
        ``n_distinct_tokens`` and ``top_tokens``: a list of ``(token, count)``, most frequent first.
    """
    counts: Counter[str] = Counter()
    lengths = []
    for text in texts:
        tokens = tokenize(text, lowercase)
        counts.update(tokens)
        lengths.append(len(tokens))
    array = np.asarray(lengths, dtype=np.float64) if lengths else np.zeros(1)
    return {
        "n_texts": len(lengths),
        "n_empty": int(sum(1 for n in lengths if n == 0)),
        "lengths": {
            "min": int(array.min()),
            "median": float(np.median(array)),
            "mean": float(array.mean()),
            "p95": float(np.percentile(array, 95)),
            "max": int(array.max()),
        },
        "n_distinct_tokens": len(counts),
        "top_tokens": sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top],
    }
