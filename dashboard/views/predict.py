"""Predict page: a stored run's pipeline or an uploaded .pkl; new rows, images or texts predicted; a CSV back."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import dataset, jobs, media, media_panels, panels, prediction, services, state
from dashboard.widgets import code, md, plural, user_errors, widget_key

SOURCES = ("A run trained here", "Upload a .pkl")
#: How many of a run's own rows "Try it" predicts.
SAMPLE_ROWS = 20


def _choose_model() -> tuple[object, str, str | None] | None:
    """The pipeline to predict with, its name, and its run id (None for an upload); None until chosen."""
    source = st.radio(
        "Model",
        SOURCES,
        key=widget_key("predict", "source"),
        horizontal=True,
        help="A finished run of this installation, or a pipeline file downloaded from a Results page.",
    )
    if source == SOURCES[0]:
        runs = [r for r in panels.all_runs() if r["status"] == "succeeded" and "pipeline" in jobs.files(r)]
        if not runs:
            st.info("No finished run yet: train one, or upload a .pkl downloaded from a Results page.")
            return None
        run_id = panels.pick_run("Run", runs, state.run_id(), key=widget_key("predict", "run"))
        run = next(r for r in runs if r["id"] == run_id)
        content = jobs.files(run)["pipeline"].read_bytes()
        return services.pipeline_from(content), run["name"], run_id
    upload = st.file_uploader(
        "Fitted pipeline (.pkl)",
        type=["pkl", "joblib"],
        key=widget_key("predict", "pickle"),
        help="Only pipelines saved by this installation open: the file's signature is checked before anything "
        "in it is unpickled, since unpickling runs code.",
    )
    if upload is None:
        return None
    return services.pipeline_from(upload.getvalue()), upload.name, None


def _rows(run_id: str | None) -> tuple[pd.DataFrame | None, str, pd.Series | None]:
    """The rows to predict, what to call them, and their actual target when it is known (the run's own
    rows); ``(None, "", None)`` until there are rows."""
    upload = st.file_uploader(
        "New rows (CSV, TSV, Excel, Parquet or JSON lines)",
        type=dataset.UPLOAD_TYPES,
        key=widget_key("predict", "rows"),
        help="The training columns by name; the target column may be absent, extra columns are ignored.",
    )
    if upload is not None:
        ds = dataset.upload_dataset(upload.name, upload.getvalue())
        rows = services.frame(ds)
        return rows, f"{plural(len(rows), 'row')} of {upload.name}", None
    if run_id is not None and st.toggle(
        f"Try it on {SAMPLE_ROWS} rows of the run's own data",
        key=widget_key("predict", "sample_rows"),
        help=f"Predict the first {SAMPLE_ROWS} rows the run trained on, and show their actual target beside "
        "each prediction.",
    ):
        record = services.store().get_run(run_id)
        rows = services.store().load_data(run_id).head(SAMPLE_ROWS)
        actual = rows[record["target"]] if record["target"] in rows else None
        rows = rows.drop(columns=[record["target"]], errors="ignore")
        return rows, f"the run's first {plural(len(rows), 'training row')}", actual
    return None, "", None


st.title("Predict")
with user_errors():
    chosen = _choose_model()
    kind = "table" if chosen is None else media.input_kind(chosen[0])
    if chosen is not None and kind != "table":
        st.caption(f"**{md(chosen[1], start=False)}** reads {'images' if kind == 'images' else 'texts'}.")
        media_panels.predict_inputs(chosen[0], kind)
    elif chosen is not None:
        pipeline, model_name, run_id = chosen
        used = prediction.used_columns(pipeline)
        st.caption(
            f"**{md(model_name, start=False)}** reads {plural(len(used), 'column')}: " + ", ".join(code(c) for c in used)
        )
        rows, rows_name, actual = _rows(run_id)
        if rows is not None:
            check = prediction.check_rows(pipeline, rows)
            if check.extra:
                st.info(
                    "Ignored, as the model was not trained on them: " + ", ".join(code(c) for c in check.extra),
                    icon=":material/info:",
                )
            for column, n in check.unseen.items():
                st.warning(
                    f"{code(column)}: {plural(n, 'row')} {'holds' if n == 1 else 'hold'} a category not seen in "
                    "training; the model treats it as none of the known ones.",
                    icon=":material/warning:",
                )
            predicted = prediction.predict(pipeline, rows)
            if actual is not None:
                # The run's own rows: what the model predicts beside what the table says.
                name = "actual"
                while name in predicted:
                    name = f"{name} "
                predicted.insert(1, name, actual.to_numpy())
                st.caption(
                    "The model trained on these rows, so it does better on them than on new ones; the "
                    "**Results** page's scores are measured on rows it did not see."
                )
            panels.show_predictions(predicted, rows_name)
