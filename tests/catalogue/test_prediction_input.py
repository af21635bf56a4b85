"""New rows to predict that differ from the training table: predicted as meant, or refused naming the columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.data import TableReadError, infer_schema, read_table
from backend.pipeline import build_pipeline
from backend.spec import ExperimentSpec
from dashboard.prediction import MissingColumns, check_rows, predict


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {"size": rng.normal(size=n), "colour": np.array(["red", "blue", "green"])[np.arange(n) % 3], "y": np.arange(n) % 2}
    )
    spec = ExperimentSpec.for_target("y")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 2
    spec.training.early_stopping = False
    pipeline = build_pipeline(spec, frame, schema=infer_schema(frame))
    return pipeline.fit(frame.drop(columns="y"), frame["y"])


def _rows() -> pd.DataFrame:
    return pd.DataFrame({"size": [0.1, -1.0], "colour": ["red", "blue"]})


def test_rows_lacking_a_training_column_are_refused_naming_it(fitted):
    with pytest.raises(MissingColumns, match=r"lack 1 column\(s\).*'colour'.*Add them"):
        predict(fitted, _rows().drop(columns="colour"))


def test_extra_columns_are_listed_and_ignored(fitted):
    rows = _rows().assign(note=["a", "b"])
    assert check_rows(fitted, rows).extra == ["note"]
    out = predict(fitted, rows)
    assert out["prediction"].tolist() == predict(fitted, _rows())["prediction"].tolist()


def test_reordered_columns_predict_the_same(fitted):
    assert predict(fitted, _rows()[["colour", "size"]])["prediction"].tolist() == predict(fitted, _rows())[
        "prediction"
    ].tolist()


def test_numbers_read_as_text_and_categories_read_as_numbers_still_predict(fitted):
    rows = pd.DataFrame({"size": ["0.1", "-1.0"], "colour": [1, 2]})
    out = predict(fitted, rows)
    assert len(out) == 2 and set(out["prediction"]) <= {0, 1}


def test_unseen_categories_are_counted_and_still_predicted(fitted):
    rows = pd.DataFrame({"size": [0.1, 0.2, 0.3], "colour": ["purple", "red", "purple"]})
    assert check_rows(fitted, rows).unseen == {"colour": 2}
    assert len(predict(fitted, rows)) == 3


def test_an_empty_prediction_file_is_refused_as_empty():
    with pytest.raises(TableReadError, match="empty"):
        read_table(b"", "new_rows.csv")
    with pytest.raises(TableReadError, match="no data rows"):
        read_table(b"size,colour\n", "new_rows.csv")
