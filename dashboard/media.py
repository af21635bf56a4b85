"""Images and texts in the dashboard: image zips kept in the home, thumbnails, text statistics, predictions.

An uploaded zip is extracted once into Torchwork's home (``uploads/<content hash>/``), so the image paths a
run's data snapshot holds stay valid after the browser session ends.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from backend import data as tables
from backend.data.archives import IMAGE_COLUMN
from backend.preprocess import describe_texts, find_image_column, find_text_column, is_image_name, open_image
from dashboard import services
from dashboard.state import Dataset

#: Every bundled sample by name: tables, image sets and text sets.
ALL_SAMPLES: dict[str, tables.SampleInfo] = {**tables.SAMPLES, **tables.IMAGE_SAMPLES, **tables.TEXT_SAMPLES}
#: Where uploaded image zips are extracted, under Torchwork's home.
UPLOADS = "uploads"
#: Image files the Predict page's uploader takes, besides zips.
IMAGE_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"]


def zip_dataset(filename: str, content: bytes) -> Dataset:
    """An uploaded zip of images as a :class:`Dataset` (read by :func:`image_set`)."""
    return Dataset(
        label=filename,
        key=f"zip:{services.digest(content)}",
        filename=filename,
        content=content,
        modality="images",
    )


@st.cache_resource(show_spinner="Checking and extracting the images…", max_entries=8)
def _image_set(key: str, home: str, _content: bytes) -> tables.ImageSet:
    folder = Path(home) / UPLOADS / key.split(":", 1)[1]
    return tables.read_image_zip(_content, folder)


def image_set(ds: Dataset) -> tables.ImageSet:
    """The images of an uploaded zip, checked and extracted once per content.

    Raises
    ------
    UnsafeArchiveError
        The zip is refused for safety (traversal, links, a bomb); nothing was written.
    ImageArchiveError
        The zip holds no usable image, or its label CSV cannot be read.
    """
    assert ds.content is not None
    return _image_set(ds.key, str(services.home()), ds.content)


def infer_modality(frame: pd.DataFrame, target: str) -> str:
    """``"images"`` when a column holds image files, ``"text"`` when one holds texts of several words,
    else ``"table"``."""
    others = [target]
    if find_image_column(frame, others) is not None:
        return "images"
    column = find_text_column(frame, others)
    if column is None:
        return "table"
    words = describe_texts(frame[column].dropna().head(200))["lengths"]["median"]
    return "text" if words >= 4 else "table"


def text_columns(frame: pd.DataFrame, target: str) -> list[str]:
    """The columns (not the target) that hold strings, the likeliest text column first."""
    found = find_text_column(frame, [target])
    names = [str(c) for c in frame.columns if c != target and frame[c].dropna().map(type).eq(str).all()]
    return sorted(names, key=lambda n: n != found)


def image_column(frame: pd.DataFrame, target: str) -> str | None:
    """The column of image files (paths or bytes) in ``frame``."""
    return find_image_column(frame, [target])


@st.cache_data(show_spinner=False, max_entries=16)
def _text_stats(key: str, column: str, lowercase: bool, _texts: pd.Series) -> dict[str, Any]:
    stats = describe_texts(_texts, top=100, lowercase=lowercase)
    # Punctuation marks are tokens too, but the most frequent words say more about the texts.
    stats["top_words"] = [(t, n) for t, n in stats["top_tokens"] if any(ch.isalnum() for ch in t)][:20]
    return stats


def text_stats(ds: Dataset, frame: pd.DataFrame, column: str, lowercase: bool = True) -> dict[str, Any]:
    """Length statistics and the most frequent tokens of ``frame[column]`` (computed once per dataset):
    :func:`backend.preprocess.describe_texts`'s keys plus ``top_words``, the 20 most frequent words."""
    return _text_stats(ds.key, column, lowercase, frame[column])


def thumbnails(frame: pd.DataFrame, column: str, label: str, per_class: int = 8) -> dict[str, list[Any]]:
    """Up to ``per_class`` images of each class, classes in sorted order: label -> image paths or bytes."""
    out: dict[str, list[Any]] = {}
    for value, group in frame.groupby(label, sort=True):
        out[str(value)] = group[column].head(per_class).tolist()
    return out


def show_image(source: Any) -> Any:
    """What ``st.image`` can draw: a path as a string, bytes as they are."""
    return str(source) if isinstance(source, Path) else source


# ---------------------------------------------------------------------- predictions


def uploaded_images(
    files: list[tuple[str, bytes]], folder: Path
) -> tuple[list[str], list[Any], list[str], dict[str, str]]:
    """The images among uploaded files: names, sources (bytes, or paths of images from a zip), the names of
    skipped files (not images) and the unreadable images (name -> why).

    A zip is read as unlabelled images and extracted into ``folder``, with the same safety checks as on the
    Data page; its images are named by their path in the zip, and its unreadable ones as ``zip/member``.
    Every image file is decoded once here, as the zip reader does, so an unreadable one is left out with
    its reason and the readable ones can still be predicted.

    Raises
    ------
    UnsafeArchiveError, ImageArchiveError
        A zip is refused or holds no usable image (the message starts with the zip's name).
    """
    names: list[str] = []
    sources: list[Any] = []
    skipped: list[str] = []
    corrupt: dict[str, str] = {}
    for i, (name, content) in enumerate(files):
        if name.lower().endswith(".zip"):
            try:
                images = tables.read_image_zip(content, folder / f"zip{i}", labels=False)
            except (tables.UnsafeArchiveError, tables.ImageArchiveError) as exc:
                raise type(exc)(f"{name}: {exc}") from None
            root = images.folder
            for path in images.frame[IMAGE_COLUMN]:
                names.append(str(Path(path).relative_to(root)))
                sources.append(path)
            skipped += [f"{name}/{member}" for member in images.skipped]
            corrupt.update({f"{name}/{member}": why for member, why in images.corrupt.items()})
        elif is_image_name(name):
            try:
                open_image(content)
            except ValueError as exc:
                corrupt[name] = str(exc)
                continue
            names.append(name)
            sources.append(content)
        else:
            skipped.append(name)
    return names, sources, skipped, corrupt


def predict_images(
    pipeline: Any, files: list[tuple[str, bytes]]
) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Predictions for the readable uploaded images (image files and zips of them): ``image``,
    ``prediction``, ``confidence`` (the highest probability) and a ``proba_<class>`` column per class; the
    names of files that were not images; and the images that could not be read (name -> why), left out.

    Raises
    ------
    ImageArchiveError
        No uploaded file is a readable image (naming the unreadable ones), or a zip is unusable.
    UnsafeArchiveError
        A zip is refused for safety.
    """
    with tempfile.TemporaryDirectory(prefix="torchwork-predict-") as tmp:
        names, sources, skipped, corrupt = uploaded_images(files, Path(tmp))
        if not sources and corrupt:
            raise tables.ImageArchiveError(f"None of the uploaded images could be read: {named_reasons(corrupt)}.")
        if not sources:
            raise tables.ImageArchiveError("None of the uploaded files is an image (PNG, JPEG, GIF, BMP, TIFF, WebP).")
        # Indexed by file name, so an image the model still cannot read is named by its file in the error.
        inputs = pd.Series(sources, index=names, dtype=object)
        return _predicted(pipeline, inputs, pd.DataFrame({"image": names})), skipped, corrupt


def named_reasons(failures: dict[str, str], limit: int = 5, quote: str = "") -> str:
    """``a.png (why); b.png (why)``, at most ``limit`` of them, then how many more."""
    shown = "; ".join(f"{quote}{name}{quote} ({why})" for name, why in list(failures.items())[:limit])
    return shown + (f"; and {len(failures) - limit} more" if len(failures) > limit else "")


def predict_texts(pipeline: Any, rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """Predictions for the texts in ``rows[column]``: ``prediction``, ``confidence``, ``proba_<class>``, then
    the rows."""
    return _predicted(pipeline, rows[column].tolist(), rows.reset_index(drop=True))


def _predicted(pipeline: Any, inputs: Any, shown: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"prediction": pipeline.predict(inputs)})
    if hasattr(pipeline, "predict_proba") and hasattr(pipeline, "classes_"):
        proba = np.asarray(pipeline.predict_proba(inputs))
        out["confidence"] = proba.max(axis=1)
        for j, cls in enumerate(pipeline.classes_):
            out[f"proba_{cls}"] = proba[:, j]
    if "image" in shown:
        return pd.concat([shown[["image"]], out], axis=1)
    return pd.concat([out, shown], axis=1)


def input_kind(pipeline: Any) -> str:
    """``"images"``, ``"text"`` or ``"table"``: what a fitted pipeline reads."""
    step = getattr(pipeline, "named_steps", {}).get("preprocess")
    name = type(step).__name__
    return {"ImageLoader": "images", "TextVectorizer": "text"}.get(name, "table")


def input_column_of(pipeline: Any) -> str | None:
    """The column an image or text pipeline reads from a table, if it was given one."""
    step = getattr(pipeline, "named_steps", {}).get("preprocess")
    return getattr(step, "column", None)


# ---------------------------------------------------------------------- mistakes


def misclassified(oof: pd.DataFrame, data: pd.DataFrame, column: str, limit: int = 24) -> pd.DataFrame:
    """The out-of-fold rows predicted wrong, most confident mistakes first: ``input`` (the image or text),
    ``true``, ``predicted`` and ``confidence`` (the probability given to the wrong class)."""
    wrong = oof[oof["true"].astype(str) != oof["predicted"].astype(str)].copy()
    if wrong.empty:
        return pd.DataFrame(columns=["input", "true", "predicted", "confidence"])
    proba = {c.removeprefix("proba_"): c for c in wrong.columns if c.startswith("proba_")}
    wrong["confidence"] = [
        float(row[proba[str(p)]]) if str(p) in proba else np.nan
        for p, (_, row) in zip(wrong["predicted"], wrong.iterrows(), strict=True)
    ]
    wrong = wrong.sort_values("confidence", ascending=False, kind="stable").head(limit)
    inputs = data[column].reindex(wrong["row"].to_numpy())
    return pd.DataFrame(
        {
            "input": inputs.to_numpy(),
            "true": wrong["true"].astype(str).to_numpy(),
            "predicted": wrong["predicted"].astype(str).to_numpy(),
            "confidence": wrong["confidence"].to_numpy(),
        }
    )
