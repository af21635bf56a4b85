"""Every bundled sample loads offline with its target, labels and task."""

import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from backend.data import (
    DEFAULT_SAMPLE,
    IMAGE_SAMPLES,
    SAMPLES,
    TEXT_SAMPLES,
    SampleInfo,
    check_target,
    infer_task,
    load_sample,
)

LABELS = {
    "breast_cancer": {"malignant", "benign"},
    "wine": {"cultivar_0", "cultivar_1", "cultivar_2"},
    "iris": {"setosa", "versicolor", "virginica"},
}


def test_the_four_samples_and_the_default_are_there():
    assert {"breast_cancer", "wine", "iris", "diabetes"} <= set(SAMPLES)
    assert DEFAULT_SAMPLE == "breast_cancer"
    assert all(isinstance(info, SampleInfo) and info.name == key for key, info in SAMPLES.items())


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_sample_loads_with_its_target_and_task(name):
    info = SAMPLES[name]
    df = load_sample(name)
    assert df.columns[-1] == info.target
    assert df.shape[0] > 100 and df.shape[1] > 4
    assert info.title and info.description
    assert infer_task(df[info.target]).task == info.task
    assert check_target(df, info.target, info.task, n_folds=5).ok
    assert not df.isna().any().any()


@pytest.mark.parametrize("name", sorted(LABELS))
def test_classification_samples_have_readable_labels(name):
    assert set(load_sample(name)[SAMPLES[name].target]) == LABELS[name]


def test_samples_keep_real_column_names():
    assert "mean radius" in load_sample("breast_cancer").columns
    assert "petal length (cm)" in load_sample("iris").columns
    assert {"age", "sex", "bmi", "bp"} <= set(load_sample("diabetes").columns)
    assert SAMPLES["diabetes"].target == "disease_progression"
    assert pd.api.types.is_float_dtype(load_sample("diabetes")["disease_progression"])


def test_a_loaded_sample_can_be_changed_without_changing_the_next_load():
    first = load_sample("iris")
    first.loc[0, "species"] = "changed"
    assert load_sample("iris").loc[0, "species"] == "setosa"


def test_unknown_sample_lists_the_available_ones():
    with pytest.raises(ValueError, match="Unknown sample 'titanic'. Available samples: breast_cancer, wine") as caught:
        load_sample("titanic")
    listed = str(caught.value).split("Available samples: ")[1].rstrip(".").split(", ")
    assert listed == [*SAMPLES, *IMAGE_SAMPLES, *TEXT_SAMPLES]
    assert "digits" in listed and "demo_reviews" in listed


# ---------------------------------------------------------------------- image and text samples


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a bundled sample tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_image_and_text_samples_are_described_by_their_kind_of_data():
    assert set(IMAGE_SAMPLES) == {"digits"} and set(TEXT_SAMPLES) == {"demo_reviews"}
    for samples, modality in ((IMAGE_SAMPLES, "images"), (TEXT_SAMPLES, "text")):
        for key, info in samples.items():
            assert isinstance(info, SampleInfo) and info.name == key
            assert (info.modality, info.task) == (modality, "classification")
            assert info.title and info.description
    assert all(info.modality == "table" for info in SAMPLES.values())
    # The text set is made up, and says so where people choose it.
    assert TEXT_SAMPLES["demo_reviews"].title.startswith("Demo")
    assert "not real data" in TEXT_SAMPLES["demo_reviews"].description


def test_the_digits_load_offline_as_8x8_gray_pngs_in_the_home(offline, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHWORK_HOME", str(tmp_path / "home"))
    frame = load_sample("digits")
    info = IMAGE_SAMPLES["digits"]
    assert list(frame.columns) == ["image", info.target] and len(frame) == 1797
    assert set(frame[info.target]) == set(range(10))
    assert infer_task(frame[info.target]).task == "classification"
    assert check_target(frame, info.target, info.task, n_folds=5).ok
    paths = [Path(p) for p in frame["image"]]
    assert all(p.is_absolute() and p.is_relative_to(tmp_path / "home") for p in paths)
    for path, digit in zip(paths[:20], frame[info.target][:20], strict=True):
        assert path.parent.name == str(digit)
        with Image.open(path) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "L", (8, 8))
    # Loaded again, the same files are reused, and each load is a new frame.
    again = load_sample("digits")
    assert again["image"].tolist() == frame["image"].tolist() and again is not frame


def test_the_demo_reviews_load_offline_with_two_balanced_labels(offline):
    frame = load_sample("demo_reviews")
    info = TEXT_SAMPLES["demo_reviews"]
    assert list(frame.columns) == ["review", info.target] and len(frame) == 400
    assert frame[info.target].value_counts().to_dict() == {"positive": 200, "negative": 200}
    assert frame["review"].map(type).eq(str).all() and frame["review"].str.split().str.len().min() >= 3
    assert infer_task(frame[info.target]).task == "classification"
    assert check_target(frame, info.target, info.task, n_folds=5).ok
    # The same reviews every time, and changing one load does not change the next.
    frame.loc[0, "review"] = "changed"
    assert load_sample("demo_reviews").loc[0, "review"] != "changed"
    assert np.array_equal(load_sample("demo_reviews")["sentiment"], load_sample("demo_reviews")["sentiment"])
