"""Page parts for images and text: the Data page's overviews, the Model page's input settings, the Results
page's gallery of mistakes and the Predict page's image and text inputs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from backend.spec import DataSpec, field_specs
from dashboard import charts, dataset, jobs, media, panels, services, state
from dashboard.state import Dataset
from dashboard.widgets import code, md, plural, spec_section, user_errors, widget_key

KINDS = {"table": "Table (numbers and categories)", "text": "Text classification (a column of texts)"}
#: Thumbnails shown per class on the Data page.
PER_CLASS = 10
GALLERY_COLUMNS = 6


def kind_of_data(frame: pd.DataFrame) -> None:
    """For a table with a column of texts: choose between a table model and a text model."""
    spec = state.spec_dict()["data"]
    if not media.text_columns(frame, spec["target"]):
        dataset.set_modality("table")
        return
    key = widget_key("data", "modality")
    if key not in st.session_state or st.session_state[key] not in KINDS:
        st.session_state[key] = spec["modality"] if spec["modality"] in KINDS else "table"
    chosen = st.radio(
        "Kind of data",
        list(KINDS),
        key=key,
        format_func=KINDS.get,
        horizontal=True,
        help="The table holds a column of texts: learn from that column with a text model, or from every "
        "column as a table.",
    )
    dataset.set_modality(chosen)


def images_overview(ds: Dataset, frame: pd.DataFrame) -> None:
    """Class counts and a thumbnail grid per class of an image set; what was skipped or unreadable."""
    spec = state.spec_dict()["data"]
    target = spec["target"]
    column = media.image_column(frame, target)
    if column is None:
        st.error("No column of image files was found in this data.", icon=":material/error:")
        return
    counts = frame[target].astype(str).value_counts().sort_index()
    st.caption(f"{len(frame):,} images in {len(counts)} classes · target `{target}`")
    if ds.sample is None and ds.modality == "images":
        images = media.image_set(ds)
        layout = {"folders": "one folder per class", "csv": "labels from the CSV in the zip"}.get(images.layout, "")
        st.caption(f"Labels read from {layout}.")
        _left_out(images.skipped, images.corrupt)
    _ready(ds, frame)
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.markdown("**Images per class**")
        st.dataframe(
            pd.DataFrame({"class": counts.index, "images": counts.to_numpy()}),
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * len(counts), 420),
        )
    with right:
        st.markdown("**Examples of each class**")
        for label, sources in media.thumbnails(frame, column, target, PER_CLASS).items():
            st.caption(f"{md(label)} · {plural(counts.get(label, 0), 'image')}")
            st.image([media.show_image(s) for s in sources], width=48)


def _left_out(skipped: list[str], corrupt: dict[str, str]) -> None:
    """Say which files were skipped (not images) and which images could not be read, each with why."""
    if skipped:
        st.info(
            f"{plural(len(skipped), 'file')} that {'is' if len(skipped) == 1 else 'are'} not an image "
            f"{'was' if len(skipped) == 1 else 'were'} skipped, such as "
            + ", ".join(code(n) for n in skipped[:3])
            + ".",
            icon=":material/info:",
        )
    if corrupt:
        st.warning(
            f"{plural(len(corrupt), 'image')} could not be read and {'was' if len(corrupt) == 1 else 'were'} "
            "left out: "
            + media.named_reasons(corrupt, quote="`")
            + ".",
            icon=":material/warning:",
        )


def text_overview(ds: Dataset, frame: pd.DataFrame) -> None:
    """The text column (chosen or inferred), length statistics and the most frequent tokens."""
    spec = state.spec_dict()["data"]
    names = media.text_columns(frame, spec["target"])
    if not names:
        st.error("No column of texts was found besides the target.", icon=":material/error:")
        return
    key = widget_key("data", "input_column")
    if key not in st.session_state or st.session_state[key] not in names:
        st.session_state[key] = spec["input_column"] if spec["input_column"] in names else names[0]
    column = st.selectbox(
        "Text column",
        names,
        key=key,
        help="The column holding the texts the model reads; the likeliest one is chosen first.",
    )
    state.update_spec("data", {"input_column": column})
    _ready(ds, frame)
    stats = media.text_stats(ds, frame, column, bool(spec["lowercase"]))
    lengths = stats["lengths"]
    cells = st.columns(5)
    cells[0].metric("Texts", f"{stats['n_texts']:,}")
    cells[1].metric("Median length", f"{lengths['median']:g} words", help="Words and punctuation marks per text.")
    cells[2].metric("Longest", f"{lengths['max']:,} words", help=f"95% of the texts have at most {lengths['p95']:g}.")
    cells[3].metric("Distinct words", f"{stats['n_distinct_tokens']:,}")
    cells[4].metric("Empty texts", f"{stats['n_empty']:,}")
    left, right = st.columns(2, gap="large")
    top = pd.Series(dict(stats["top_words"]), name="most frequent words")
    left.plotly_chart(charts.counts_bar(top, "Most frequent words"), width="stretch", key="data.tokens")
    right.plotly_chart(charts.column_distribution(frame[spec["target"]], numeric=False), width="stretch", key="data.labels")
    st.markdown("**Examples**")
    st.dataframe(frame[[column, spec["target"]]].head(50), hide_index=True, width="stretch", height=260)


def _ready(ds: Dataset, frame: pd.DataFrame) -> None:
    problems, _ = jobs.training_problems(ds, frame, state.current_spec())
    if problems:
        for problem in problems:
            st.error(problem, icon=":material/error:")
        return
    spec = state.spec_dict()["data"]
    what = "images" if spec["modality"] == "images" else f"the texts of `{spec['input_column'] or '?'}`"
    st.success(
        f"Ready: predicting `{spec['target']}` ({spec['task']}) from {what}. Next: the **Model** page.",
        icon=":material/check_circle:",
    )


def input_settings(modality: str) -> None:
    """The Model page's settings of how images or texts are read."""
    names = [fs.name for fs in field_specs(DataSpec) if fs.modalities == (modality,)]
    with st.expander("Images" if modality == "images" else "Texts", expanded=True):
        spec_section("data", names)


# ---------------------------------------------------------------------- results


def mistakes(run: dict, oof: pd.DataFrame) -> None:
    """A gallery of the out-of-fold predictions that were wrong, the most confident first."""
    modality = run["spec"]["data"].get("modality", "table")
    if modality == "table" or run["task"] != "classification":
        return
    data = services.store().load_data(run["id"])
    column = run["spec"]["data"].get("input_column") or (
        media.image_column(data, run["target"]) if modality == "images" else media.text_columns(data, run["target"])[0]
    )
    wrong = media.misclassified(oof, data, column)
    st.subheader("Misclassified out-of-fold")
    n_wrong = int((oof["true"].astype(str) != oof["predicted"].astype(str)).sum())
    if wrong.empty:
        st.caption("Every out-of-fold prediction was right.")
        return
    st.caption(
        f"{n_wrong} of {len(oof)} predicted wrong by the model that did not train on them; the "
        f"{len(wrong)} most confident mistakes first."
    )
    if modality == "text":
        st.dataframe(
            wrong.rename(columns={"input": "text"}),
            hide_index=True,
            width="stretch",
            column_config={"confidence": st.column_config.ProgressColumn("confidence", min_value=0, max_value=1)},
        )
        return
    for start in range(0, len(wrong), GALLERY_COLUMNS):
        cells = st.columns(GALLERY_COLUMNS)
        for cell, (_, row) in zip(cells, wrong.iloc[start : start + GALLERY_COLUMNS].iterrows(), strict=False):
            cell.image(media.show_image(row["input"]), width=72)
            cell.caption(f"true **{row['true']}** · predicted **{row['predicted']}** ({row['confidence']:.0%})")


def pipeline_usage(run: dict) -> str:
    """How to use a run's downloaded pipeline in Python, in the words of its kind of data."""
    modality = run["spec"]["data"].get("modality", "table")
    if modality == "images":
        what = "a list of image file paths or image bytes (`['cat.png', ...]`)"
    elif modality == "text":
        what = "a list of texts (`['Great kettle!', ...]`)"
    else:
        what = "a DataFrame with the training columns"
    return (
        f"The pipeline is a joblib pickle: `joblib.load(path).predict(X)` on {what}, wherever the torchwork "
        "package is installed."
    )


# ---------------------------------------------------------------------- predict


def predict_inputs(pipeline: Any, kind: str) -> None:
    """The Predict page for an image or text model: uploads, predictions with probabilities, a CSV."""
    if kind == "images":
        uploads = st.file_uploader(
            "Images (several files, or a zip of them)",
            type=[*media.IMAGE_TYPES, "zip"],
            accept_multiple_files=True,
            key=widget_key("predict", "images"),
            help="Image files, or zips of image files (checked as on the Data page); the model resizes them.",
        )
        if not uploads:
            return
        with user_errors("Could not read the upload: "):
            predicted, skipped, corrupt = media.predict_images(pipeline, [(u.name, u.getvalue()) for u in uploads])
            _left_out(skipped, corrupt)
            panels.show_predictions(predicted, f"{len(predicted):,} images")
            _predicted_thumbnails(predicted, {u.name: u.getvalue() for u in uploads})
        return
    upload = st.file_uploader(
        "Texts (a table with a column of texts)",
        type=dataset.UPLOAD_TYPES,
        key=widget_key("predict", "texts"),
        help="CSV, Excel, Parquet or JSON lines; pick the column that holds the texts.",
    )
    if upload is None:
        return
    rows = services.frame(dataset.upload_dataset(upload.name, upload.getvalue()))
    names = [str(c) for c in rows.columns]
    trained = media.input_column_of(pipeline)
    column = st.selectbox(
        "Text column",
        names,
        index=names.index(trained) if trained in names else 0,
        key=widget_key("predict", "text_column"),
        help="The column holding the texts to classify.",
    )
    panels.show_predictions(media.predict_texts(pipeline, rows, column), f"{len(rows):,} texts of {upload.name}")


def _predicted_thumbnails(predicted: pd.DataFrame, files: dict[str, bytes]) -> None:
    shown = predicted[predicted["image"].isin(files)].head(4 * GALLERY_COLUMNS)
    if shown.empty:
        return
    st.markdown("**The uploaded images and their predictions**")
    for start in range(0, len(shown), GALLERY_COLUMNS):
        cells = st.columns(GALLERY_COLUMNS)
        for cell, (_, row) in zip(cells, shown.iloc[start : start + GALLERY_COLUMNS].iterrows(), strict=False):
            cell.image(files[row["image"]], width=72)
            confidence = f" ({row['confidence']:.0%})" if "confidence" in row else ""
            cell.caption(f"{row['image']}: **{row['prediction']}**{confidence}")
