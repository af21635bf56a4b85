"""Bundled sample tables (scikit-learn's offline data sets) with readable column names and labels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets


@dataclass(frozen=True)
class SampleInfo:
    """A bundled sample: its key, a title and description for people, its target column and task."""

    name: str
    title: str
    description: str
    target: str
    task: str


SAMPLES: dict[str, SampleInfo] = {
    info.name: info
    for info in (
        SampleInfo(
            "breast_cancer",
            "Breast cancer diagnosis",
            "569 tumours described by 30 measurements of their cell nuclei; "
            "predict whether each is malignant or benign.",
            "diagnosis",
            "classification",
        ),
        SampleInfo(
            "wine",
            "Wine cultivars",
            "178 Italian wines described by 13 chemical measurements; predict which of three cultivars each "
            "comes from.",
            "cultivar",
            "classification",
        ),
        SampleInfo(
            "iris",
            "Iris species",
            "150 iris flowers described by the length and width of their sepals and petals; "
            "predict the species.",
            "species",
            "classification",
        ),
        SampleInfo(
            "diabetes",
            "Diabetes progression",
            "442 diabetes patients described by age, sex, body mass index, blood pressure and six blood "
            "serum measurements; predict a measure of disease progression one year later.",
            "disease_progression",
            "regression",
        ),
    )
}

DEFAULT_SAMPLE = "breast_cancer"


def load_sample(name: str) -> pd.DataFrame:
    """Load a bundled sample as a DataFrame: feature columns, then the target column.

    Classification targets hold readable labels ("malignant", "cultivar_0", "setosa").
    Each call returns a new frame the caller may modify.

    Raises
    ------
    ValueError
        ``name`` is not a key of :data:`SAMPLES`.
    """
    if name not in SAMPLES:
        raise ValueError(f"Unknown sample '{name}'. Available samples: {', '.join(SAMPLES)}.")
    return _load(name).copy()


@cache
def _load(name: str) -> pd.DataFrame:
    target = SAMPLES[name].target
    loader, relabel = _LOADERS[name]
    bunch = loader()
    frame = pd.DataFrame(bunch.data, columns=list(bunch.feature_names))
    if relabel is None:
        frame[target] = bunch.target
    else:
        # target_names[k] names class k; reuse it so labels cannot drift from scikit-learn's.
        labels = np.asarray([relabel(str(label)) for label in bunch.target_names])
        frame[target] = pd.Series(labels[bunch.target], dtype="str")
    return frame


def _same(label: str) -> str:
    return label


_LOADERS: dict[str, tuple[Callable[[], Any], Callable[[str], str] | None]] = {
    "breast_cancer": (datasets.load_breast_cancer, _same),
    "wine": (datasets.load_wine, lambda label: label.replace("class_", "cultivar_")),
    "iris": (datasets.load_iris, _same),
    # Unscaled, so ages are years and blood pressure is mmHg rather than standardised numbers.
    "diabetes": (lambda: datasets.load_diabetes(scaled=False), None),
}
