"""The Data page: samples, uploads of every format, the column summary, target and task, and bad files."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from backend.data import SAMPLES


def upload(at, name: str, content: bytes, mime: str = "text/csv"):
    """Switch the page to uploads and upload ``content`` as ``name``."""
    at.radio(key="w.data.source").set_value("Upload a file").run()
    at.file_uploader[0].set_value((name, content, mime)).run()
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def joined(elements) -> str:
    return "\n".join(texts(elements))


def spec_of(at) -> dict:
    return at.session_state["tw.spec"]


def test_default_sample_is_preselected_and_ready_to_train(app):
    assert not app.exception
    assert app.selectbox(key="w.data.sample").value == "breast_cancer"
    assert spec_of(app)["data"]["target"] == "diagnosis"
    assert spec_of(app)["data"]["task"] == "classification"
    assert "Ready" in joined(app.success)
    assert "569 rows × 31 columns" in joined(app.caption)


def test_each_sample_sets_its_own_target_and_task(app):
    for name, info in SAMPLES.items():
        app.selectbox(key="w.data.sample").set_value(name).run()
        assert not app.exception and not app.error
        assert spec_of(app)["data"]["target"] == info.target
        assert spec_of(app)["data"]["task"] == info.task
        assert app.radio(key="w.data.task").value == info.task


def test_task_guess_shows_its_reason_and_can_be_overridden(app):
    app.selectbox(key="w.data.sample").set_value("diabetes").run()
    assert "Guess: **regression** because of" in joined(app.caption)
    app.radio(key="w.data.task").set_value("classification").run()
    assert spec_of(app)["data"]["task"] == "classification"
    assert "you chose classification; the guess was regression" in joined(app.caption)


def test_upload_limit_from_the_config_is_shown(app):
    upload(app, "t.csv", b"a,b\n1,x\n2,y\n3,x\n")
    assert "200 MB" in joined(app.caption)


def test_csv_upload_shows_preview_shape_and_column_summary(app):
    frame = pd.DataFrame({"x": np.arange(40) % 7 * 1.5, "colour": ["red", "blue"] * 20, "y": ["a", "b"] * 20})
    upload(app, "small.csv", frame.to_csv(index=False).encode())
    assert not app.error
    assert "40 rows × 3 columns" in joined(app.caption)
    preview, summary = app.dataframe[0].value, app.dataframe[1].value
    assert list(preview.columns) == ["x", "colour", "y"]
    assert summary.set_index("column").loc["colour", "role"] == "categorical"
    assert summary.set_index("column").loc["y", "role"] == "target"
    assert summary.set_index("column").loc["colour", "distinct"] == 2
    assert spec_of(app)["data"]["target"] == "y"
    # One small plotly chart per charted column.
    assert len(app.get("plotly_chart")) == 3


def test_excel_with_several_sheets_offers_the_sheet_choice(app):
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as writer:
        pd.DataFrame({"a": [1, 2, 3], "y": ["p", "q", "p"]}).to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"b": [1.5, 2.5, 3.5, 4.5], "z": [1, 0, 1, 0]}).to_excel(writer, sheet_name="second", index=False)
    upload(app, "book.xlsx", buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = app.selectbox(key="w.data.sheet")
    assert sheet.options == ["first", "second"]
    sheet.set_value("second").run()
    assert list(app.dataframe[0].value.columns) == ["b", "z"]
    assert "book.xlsx [second]" in joined(app.subheader)


@pytest.mark.parametrize(
    ("name", "writer"),
    [
        ("rows.parquet", lambda f, b: f.to_parquet(b, index=False)),
        ("rows.jsonl", lambda f, b: b.write(f.to_json(orient="records", lines=True).encode())),
        ("rows.tsv", lambda f, b: b.write(f.to_csv(sep="\t", index=False).encode())),
    ],
)
def test_parquet_json_lines_and_tsv_uploads_read(app, name, writer):
    frame = pd.DataFrame({"size": np.arange(30) / 2, "label": ["s", "m", "l"] * 10})
    buffer = io.BytesIO()
    writer(frame, buffer)
    upload(app, name, buffer.getvalue(), "application/octet-stream")
    assert not app.error and not app.exception
    assert list(app.dataframe[0].value.columns) == ["size", "label"]
    assert "30 rows × 2 columns" in joined(app.caption)


def test_excluded_columns_go_into_the_spec(app):
    app.multiselect(key="w.data.exclude").set_value(["mean radius", "mean texture"]).run()
    assert spec_of(app)["data"]["exclude"] == ["mean radius", "mean texture"]
    assert "from 28 columns" in joined(app.success)


def test_choosing_another_target_infers_its_task(app):
    app.selectbox(key="w.data.target").set_value("mean radius").run()
    assert spec_of(app)["data"]["target"] == "mean radius"
    assert spec_of(app)["data"]["task"] == "regression"
    # Stratified folds need classes: switching to regression turns them off, so the spec stays valid.
    assert spec_of(app)["evaluation"]["stratified"] is False


def test_warns_about_id_like_and_constant_columns_rare_classes_and_missing_targets(app):
    n = 30
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "always": ["same"] * n,
            "x": np.linspace(0, 1, n),
            "y": ["a"] * 14 + ["b"] * 11 + ["rare"] * 2 + [None] * 3,
        }
    )
    upload(app, "warn.csv", frame.to_csv(index=False).encode())
    warnings = joined(app.warning)
    assert "`customer_id` looks like an identifier (a unique value per row); the model leaves it out" in warnings
    assert "`always` holds a single value" in warnings
    assert "3 row(s) with a missing 'y' will be dropped" in warnings
    assert "fewer samples than the 5 folds: 'rare' (2)" in warnings


# -- bad inputs: a clear message, and the app stays usable ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty (0 bytes)"),
        ("header.csv", b"a,b,c\n", "has a header (a, b, c) but no data rows"),
        ("binary.csv", bytes(range(256)) * 8, "is not a text table"),
        ("dup.csv", b"a,a,y\n1,2,3\n4,5,6\n", "duplicate column names: 'a'"),
    ],
)
def test_unreadable_upload_shows_the_reason_and_the_app_stays_usable(app, name, content, message):
    upload(app, name, content)
    assert not app.exception
    assert message in joined(app.error)
    assert f"Could not use {name}" in joined(app.error)
    # Back to a sample: everything works again.
    app.radio(key="w.data.source").set_value("Bundled sample").run()
    assert not app.error and "Ready" in joined(app.success)


def test_latin1_file_reads_with_its_accents(app):
    content = "name,city,y\nJosé,Zürich,1\nRené,Köln,0\nAnaïs,Besançon,1\nLéa,Genève,0\n".encode("latin-1")
    upload(app, "latin1.csv", content)
    assert not app.exception
    assert "Zürich" in app.dataframe[0].value["city"].tolist()


def test_semicolon_separated_file_with_decimal_commas_is_split_into_columns(app):
    upload(app, "semi.csv", b"a;b;y\n1,5;2;x\n2,5;3;z\n3,5;4;x\n")
    preview = app.dataframe[0].value
    assert list(preview.columns) == ["a", "b", "y"]
    assert preview["a"].tolist() == [1.5, 2.5, 3.5]


def test_target_with_one_class_is_an_error(app):
    upload(app, "one.csv", b"x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n6,a\n")
    assert "'y' has a single class ('a')" in joined(app.error)
    assert not app.success


def test_target_with_missing_values_reports_the_dropped_rows(app):
    upload(app, "gaps.csv", b"x,y\n1,1.5\n2,\n3,2.5\n4,\n5,3.5\n6,4.5\n7,5.5\n8,6.5\n9,7.5\n10,8.5\n11,9.5\n")
    assert "2 row(s) with a missing 'y' will be dropped before training" in joined(app.warning)


def test_numeric_column_holding_na_strings_is_numeric_with_missing_values(app):
    upload(app, "na.csv", b"x,y\n1,a\nN/A,b\n3,a\n4.5,b\nN/A,a\n6,b\n")
    summary = app.dataframe[1].value.set_index("column")
    assert summary.loc["x", "role"] == "numeric"
    assert summary.loc["x", "missing"] == 2


def test_all_empty_column_is_flagged_and_left_out(app):
    upload(app, "empty_col.csv", b"x,e,y\n1,,a\n2,,b\n3,,a\n4,,b\n5,,a\n6,,b\n")
    assert "`e` is entirely empty; the model leaves it out" in joined(app.warning)


def test_several_columns_of_a_role_are_named_in_the_plural(app):
    rows = "".join(f"{i},{100 + i},{i % 3},{'ab'[i % 2]}\n" for i in range(30))
    upload(app, "ids.csv", ("id1,id2,x,y\n" + rows).encode())
    assert "`id1`, `id2` look like identifiers (a unique value per row); the model leaves them out" in joined(
        app.warning
    )


def test_too_many_categories_says_where_each_setting_is(app):
    rows = "".join(f"{i % 3},c{i % 80},{i % 2}\n" for i in range(160))
    upload(app, "wide.csv", ("x,country,y\n" + rows).encode())
    app.selectbox(key="w.data.target").set_value("y").run()
    message = joined(app.error)
    assert "'country' has 80 distinct values" in message
    assert "**Most categories per column** (Model page → Preprocessing)" in message
    assert "**Excluded columns** (Data page)" in message
    assert "data.max_categories" not in message and "raise max_categories" not in message


def test_fewer_rows_than_folds_is_an_error(app):
    upload(app, "tiny.csv", b"x,y\n1,a\n2,b\n3,a\n")
    assert "Only 3 row(s) have a 'y', fewer than the 5 folds" in joined(app.error)


def test_infinite_values_are_named_and_the_table_stays_ready(app):
    rows = "".join(f"{i},{'inf' if i == 3 else i * 2},{i % 2}\n" for i in range(30))
    upload(app, "ratios.csv", ("a,ratio,y\n" + rows).encode())
    app.selectbox(key="w.data.target").set_value("y").run()
    assert not app.exception and not app.error
    assert "Infinite values (`inf`) in `ratio` (1)" in joined(app.warning)
    assert "Ready" in joined(app.success)


def test_a_regression_target_of_whole_numbers_is_charted_as_a_histogram(app):
    rows = "".join(f"{i * 0.5},{i}\n" for i in range(1, 31))  # one whole number per row, like an id
    upload(app, "scores.csv", ("x,n\n" + rows).encode())
    app.selectbox(key="w.data.target").set_value("n").run()
    app.radio(key="w.data.task").set_value("regression").run()
    assert not app.exception
    figures = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    target = [f for f in figures if f["layout"]["title"]["text"] == "n"]
    # A histogram of every value, not bars of the 12 most frequent (as for an id column).
    assert target and target[0]["data"][0]["type"] == "histogram"
