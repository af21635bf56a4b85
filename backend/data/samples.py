"""Bundled samples, all offline: scikit-learn's tables and digit images, and a demo text set of our own.

:data:`SAMPLES` lists the tables, :data:`IMAGE_SAMPLES` the image sets (a column of image files and a
label) and :data:`TEXT_SAMPLES` the text sets (a column of texts and a label); :func:`load_sample`
loads any of them by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets

from .samples_images import load_digits_images
from .samples_text import demo_reviews


@dataclass(frozen=True)
class SampleInfo:
    """A bundled sample: its key, a title and description for people, its target column, task and kind
    of data (``modality``: ``"table"``, ``"images"`` or ``"text"``, as the spec's ``data.modality``)."""

    name: str
    title: str
    description: str
    target: str
    task: str
    modality: str = "table"


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

IMAGE_SAMPLES: dict[str, SampleInfo] = {
    "digits": SampleInfo(
        "digits",
        "Handwritten digits",
        "1797 small gray images (8x8 pixels) of handwritten digits from scikit-learn; predict the digit.",
        "digit",
        "classification",
        "images",
    )
}

TEXT_SAMPLES: dict[str, SampleInfo] = {
    "demo_reviews": SampleInfo(
        "demo_reviews",
        "Demo: invented product reviews",
        "A demo set made up for Torchwork, not real data: 400 short invented product reviews, each "
        "labelled positive or negative.",
        "sentiment",
        "classification",
        "text",
    )
}

DEFAULT_SAMPLE = "breast_cancer"


def load_sample(name: str) -> pd.DataFrame:
    """Load a bundled sample as a DataFrame: feature columns, then the target column.

    Classification targets of tables hold readable labels ("malignant", "cultivar_0", "setosa"). The
    digits are a column ``image`` of PNG file paths (written into Torchwork's home on first use) and
    ``digit``; the demo reviews a column ``review`` of texts and ``sentiment``. Each call returns a new
    frame the caller may modify.

    Raises
    ------
    ValueError
        ``name`` is not a key of :data:`SAMPLES`, :data:`IMAGE_SAMPLES` or :data:`TEXT_SAMPLES`.
    """
    if name == "digits":
        return load_digits_images()
    if name == "demo_reviews":
        return demo_reviews()
    if name not in SAMPLES:
        names = [*SAMPLES, *IMAGE_SAMPLES, *TEXT_SAMPLES]
        raise ValueError(f"Unknown sample '{name}'. Available samples: {', '.join(names)}.")
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
