"""Data page: upload a table or a zip of images, or pick a sample; inspect it, choose the target and the task."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend import data as tables
from backend.spec import SpecError
from backend.spec.sections import TASKS
from dashboard import charts, dataset, media, media_panels, services, state
from dashboard.state import Dataset
from dashboard.widgets import chosen_value, code, md, readable, user_errors, widget_key

SOURCES = ("Bundled sample", "Upload a file")
CHART_COLUMNS = 4
#: What columns of a role are, said of one column and of several.
ROLE_NOTES = {
    "id_like": ("looks like an identifier (a unique value per row)", "look like identifiers (a unique value per row)"),
    "constant": ("holds a single value", "hold a single value"),
    "empty": ("is entirely empty", "are entirely empty"),
    "text": ("holds free-form text", "hold free-form text"),
    "datetime": ("holds dates", "hold dates"),
}


def _choose_source() -> bool:
    """The sample picker or the uploader; make the chosen table the session's dataset.

    Returns False when the upload cannot be read (the reason is shown).
    """
    current = state.dataset()
    source_key = widget_key("data", "source")
    if source_key not in st.session_state:
        st.session_state[source_key] = SOURCES[1] if current and current.sample is None else SOURCES[0]
    source = st.radio(
        "Source",
        SOURCES,
        key=source_key,
        horizontal=True,
        label_visibility="collapsed",
        help="Start from a bundled sample, or upload your own table.",
    )
    if source == SOURCES[0]:
        names = list(media.ALL_SAMPLES)
        sample_key = widget_key("data", "sample")
        if sample_key not in st.session_state:
            st.session_state[sample_key] = current.sample if current and current.sample else tables.DEFAULT_SAMPLE
        name = st.selectbox(
            "Sample",
            names,
            key=sample_key,
            format_func=lambda n: media.ALL_SAMPLES[n].title,
            help="Small public tables and handwritten digit images from scikit-learn, and a demo set of "
            "invented reviews: all bundled, ready to train on.",
        )
        st.caption(media.ALL_SAMPLES[name].description)
        ds = dataset.sample_dataset(name)
        dataset.choose(ds, services.frame(ds))
        return True

    limit = st.get_option("server.maxUploadSize")
    upload = st.file_uploader(
        "Table file, or a zip of images",
        type=[*dataset.UPLOAD_TYPES, "zip"],
        key=widget_key("data", "upload"),
        help="CSV or TSV (delimiter and encoding detected), Excel .xlsx, Parquet, or JSON lines; a table with a "
        "column of texts trains a text model. For images, a .zip with one folder per class (cats/1.png, "
        "dogs/2.jpg) or a CSV of path,label rows inside.",
    )
    st.caption(f"Files up to **{limit} MB** (set by `server.maxUploadSize` in `.streamlit/config.toml`).")
    if upload is None:
        if current is not None and current.sample is None:
            st.info(f"Using **{md(current.label, start=False)}**, uploaded earlier. Choose a file above to replace it.")
        else:
            st.info("Choose a file to upload, or pick a bundled sample.")
        return True
    content = upload.getvalue()
    sheet = None
    try:
        if upload.name.lower().endswith((".xlsx", ".xlsm")):
            sheet_names = services.sheets(upload.name, content)
            if len(sheet_names) > 1:
                sheet = st.selectbox(
                    "Sheet",
                    sheet_names,
                    key=widget_key("data", "sheet"),
                    help="The workbook has several sheets; the one chosen here is the table.",
                )
        if upload.name.lower().endswith(".zip"):
            ds = media.zip_dataset(upload.name, content)
        else:
            ds = dataset.upload_dataset(upload.name, content, sheet)
        dataset.choose(ds, services.frame(ds))
    except (ValueError, TypeError) as exc:
        st.error(f"Could not use {md(upload.name, start=False)}: {md(exc, start=False)}", icon=":material/error:")
        return False
    return True


def _column_summary(ds_key: str, schema: list[tables.ColumnInfo], frame: pd.DataFrame, target: str) -> None:
    summary = pd.DataFrame(
        {
            "column": [c.name for c in schema],
            "role": ["target" if c.name == target else c.role for c in schema],
            "dtype": [c.dtype for c in schema],
            "missing": [c.n_missing for c in schema],
            "distinct": [c.n_distinct for c in schema],
            "note": [c.note for c in schema],
        }
    )
    st.dataframe(summary, hide_index=True, width="stretch", height=min(38 + 35 * len(summary), 420))
    names = [c.name for c in schema]
    default = [target] + [c.name for c in schema if c.name != target and c.role in ("numeric", "categorical")]
    chosen = st.multiselect(
        "Columns to chart",
        names,
        default=[n for n in default if n in names][: 2 * CHART_COLUMNS],
        # Keyed by dataset: another table starts from its own default columns.
        key=widget_key("data", f"charted.{ds_key}"),
        help="A histogram for numeric columns, the most frequent values for the others.",
    )
    roles = {c.name: c.role for c in schema}
    regression = state.spec_dict()["data"]["task"] == "regression"
    for start in range(0, len(chosen), CHART_COLUMNS):
        cells = st.columns(CHART_COLUMNS)
        for cell, name in zip(cells, chosen[start : start + CHART_COLUMNS], strict=False):
            # Numbers get a histogram unless they are read as categories; a regression target always does.
            numeric = pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name]) and (
                roles[name] not in ("categorical", "constant") or (name == target and regression)
            )
            cell.plotly_chart(
                charts.column_distribution(frame[name], numeric=numeric),
                width="stretch",
                config={"displayModeBar": False},
                key=f"chart.{name}",
            )


def _target_and_task(frame: pd.DataFrame, schema: list[tables.ColumnInfo]) -> None:
    spec = state.spec_dict()
    columns = [str(c) for c in frame.columns]
    left, middle = st.columns([1, 1])
    target_key = widget_key("data", "target")
    if target_key not in st.session_state or st.session_state[target_key] not in columns:
        st.session_state[target_key] = spec["data"]["target"] if spec["data"]["target"] in columns else columns[-1]
    target = left.selectbox("Target column", columns, key=target_key, help="The column the model learns to predict.")
    guess = tables.infer_task(frame[target])
    if target != spec["data"]["target"]:
        dataset.choose_target(target, guess.task)
        spec = state.spec_dict()
    task_key = widget_key("data", "task")
    if task_key not in st.session_state:
        st.session_state[task_key] = spec["data"]["task"]
    task = middle.radio(
        "Task",
        TASKS,
        key=task_key,
        horizontal=True,
        help="Classification predicts a category; regression predicts a number. Override the guess if it is wrong.",
    )
    dataset.set_task(task)
    verdict = "inferred" if task == guess.task else f"you chose {task}; the guess was {guess.task}"
    middle.caption(f"Guess: **{guess.task}** because of {guess.reason} ({verdict}).")

    if chosen_value("data", "modality") == "text":
        return  # a text model reads one column; there is nothing to exclude
    others = [c for c in columns if c != target]
    exclude_key = widget_key("data", "exclude")
    if exclude_key not in st.session_state:
        st.session_state[exclude_key] = [c for c in spec["data"]["exclude"] if c in others]
    exclude = st.multiselect(
        "Excluded columns",
        others,
        key=exclude_key,
        help="Columns left out of the features, such as identifiers or columns that leak the target.",
    )
    state.update_spec("data", {"exclude": exclude})


def _warnings(ds: Dataset, frame: pd.DataFrame, schema: list[tables.ColumnInfo]) -> None:
    spec = state.spec_dict()
    target, task = spec["data"]["target"], spec["data"]["task"]
    evaluation = spec["evaluation"]
    n_folds = evaluation["folds"] if evaluation["mode"] == "cv" else None
    check = tables.check_target(frame, target, task, n_folds)
    for error in check.errors:
        st.error(md(error), icon=":material/error:")
    for warning in check.warnings:
        st.warning(md(warning), icon=":material/warning:")
    excluded = set(spec["data"]["exclude"])
    for role, (one, many) in ROLE_NOTES.items():
        names = [c.name for c in schema if c.role == role and c.name != target and c.name not in excluded]
        if names:
            listed = ", ".join(code(n) for n in names)
            what, them = (one, "it") if len(names) == 1 else (many, "them")
            st.warning(f"{listed} {what}; the model leaves {them} out.", icon=":material/info:")
    infinite = [c for c in schema if c.n_infinite and c.name != target and c.name not in excluded]
    if infinite:
        listed = ", ".join(f"{code(c.name)} ({c.n_infinite:,})" for c in infinite)
        st.warning(
            f"Infinite values (`inf`) in {listed}: the model treats them as missing and fills them in as "
            "the Model page's imputation says. Replace them in the file if they stand for something else.",
            icon=":material/info:",
        )
    if check.ok:
        # Building the pipeline finds what the columns alone cannot: too many categories, nothing to learn.
        try:
            services.describe(ds, state.current_spec(), frame)
        except SpecError as exc:
            for problem in exc.problems:
                st.error(readable(problem, places=True), icon=":material/error:")
            return
        st.success(
            f"Ready: predicting {code(target)} ({task}) from {len(frame.columns) - 1 - len(excluded)} columns. "
            "Next: the **Model** page.",
            icon=":material/check_circle:",
        )


st.title("Data")
if not _choose_source():
    st.stop()
with user_errors():
    ds, frame = dataset.active()
    st.subheader(md(ds.label))
    if state.spec_dict()["data"]["modality"] == "images":
        media_panels.images_overview(ds, frame)
    else:
        schema = services.schema(ds)
        st.caption(f"{frame.shape[0]:,} rows × {frame.shape[1]:,} columns")
        _target_and_task(frame, schema)
        media_panels.kind_of_data(frame)
        if state.spec_dict()["data"]["modality"] == "text":
            media_panels.text_overview(ds, frame)
        else:
            _warnings(ds, frame, schema)
            preview, columns = st.tabs(["Preview", "Columns"])
            with preview:
                st.dataframe(frame.head(100), width="stretch", height=320)
            with columns:
                _column_summary(ds.key, schema, frame, state.spec_dict()["data"]["target"])
