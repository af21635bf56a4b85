"""The Predict page: a stored run or a signed .pkl, new rows checked against the training columns."""

from __future__ import annotations

import io

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from backend.data import load_sample
from dashboard import services


def text_of(elements) -> str:
    return "\n".join(e.value for e in elements)


def upload_rows(at, frame: pd.DataFrame, name: str = "new.csv"):
    at.file_uploader(key="w.predict.rows").set_value((name, frame.to_csv(index=False).encode(), "text/csv")).run()
    return at


def upload_pickle(at, content: bytes, name: str = "model.pkl"):
    at.radio(key="w.predict.source").set_value("Upload a .pkl").run()
    at.file_uploader(key="w.predict.pickle").set_value((name, content, "application/octet-stream")).run()
    return at


@pytest.fixture
def iris_page(trained, open_page):
    return open_page("predict", run=trained["iris"])


def test_a_stored_run_predicts_classes_with_probabilities(iris_page):
    at = iris_page
    assert "reads 4 columns" in text_of(at.caption)
    at.toggle(key="w.predict.sample_rows").set_value(True).run()
    predicted = at.dataframe[0].value
    assert len(predicted) == 20
    # The run's own rows: their actual target beside each prediction.
    assert list(predicted.columns[:5]) == [
        "prediction", "actual", "proba_setosa", "proba_versicolor", "proba_virginica"
    ]
    assert predicted["actual"].tolist() == load_sample("iris")["species"].head(20).tolist()
    assert np.allclose(predicted.iloc[:, 2:5].sum(axis=1), 1.0, atol=1e-5)
    assert "Predictions for the run's first 20 training rows" in [h.value for h in at.subheader]
    assert [d.label for d in at.get("download_button")] == ["Download predictions (CSV)"]


def test_extra_columns_are_ignored_with_a_note_and_the_target_may_be_present(iris_page):
    rows = load_sample("iris").sample(7, random_state=0).assign(note="hello")
    at = upload_rows(iris_page, rows)
    assert not at.error
    info = text_of(at.info)
    assert "`species`" in info and "`note`" in info and "Ignored" in info
    assert len(at.dataframe[0].value) == 7


def test_new_rows_lacking_a_training_column_are_refused_naming_it(iris_page):
    rows = load_sample("iris").drop(columns=["species", "petal width (cm)"]).head(5)
    at = upload_rows(iris_page, rows)
    assert not at.exception
    message = text_of(at.error)
    assert "lack 1 column(s) the model was trained on: 'petal width (cm)'" in message
    assert not at.get("download_button")


def test_unseen_categories_are_predicted_with_a_warning(trained, open_page):
    at = open_page("predict", run=trained["diabetes"])
    rows = load_sample("diabetes").drop(columns=["disease_progression"]).head(4)
    rows.loc[0, "sex"] = 3
    at = upload_rows(at, rows)
    assert "`sex`: 1 row holds a category not seen in training" in text_of(at.warning)
    predicted = at.dataframe[0].value
    assert predicted["prediction"].notna().all() and len(predicted) == 4


def test_an_uploaded_pickle_from_this_installation_is_accepted(trained, open_page):
    content = (services.store().run_dir(trained["iris"]) / "pipeline.pkl").read_bytes()
    at = upload_pickle(open_page("predict"), content)
    assert not at.error
    at = upload_rows(at, load_sample("iris").drop(columns=["species"]).head(3))
    assert len(at.dataframe[0].value) == 3


@pytest.mark.parametrize("kind", ["foreign", "garbage", "empty"])
def test_an_unsigned_pickle_is_refused_before_unpickling(trained, open_page, kind):
    if kind == "foreign":
        buffer = io.BytesIO()
        joblib.dump(LogisticRegression(), buffer)
        content = buffer.getvalue()
    else:
        content = b"" if kind == "empty" else b"not a pickle at all"
    at = upload_pickle(open_page("predict"), content)
    assert not at.exception
    assert "was not produced by this Torchwork installation" in text_of(at.error)
    # Nothing to predict with: no rows are asked for.
    assert "w.predict.rows" not in [f.key for f in at.file_uploader]


def test_without_runs_the_page_explains_what_to_do(open_page):
    at = open_page("predict")
    assert "No finished run yet" in text_of(at.info)
