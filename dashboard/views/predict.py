"""Predict page: a stored run's pipeline or an uploaded .pkl; new rows, images or texts predicted; a CSV back."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import dataset, jobs, media, media_panels, panels, prediction, services, state
from dashboard.widgets import user_errors, widget_key

SOURCES = ("A run trained here", "Upload a .pkl")


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


def _rows(run_id: str | None) -> tuple[pd.DataFrame | None, str]:
    upload = st.file_uploader(
        "New rows (CSV, TSV, Excel, Parquet or JSON lines)",
        type=dataset.UPLOAD_TYPES,
        key=widget_key("predict", "rows"),
        help="The training columns by name; the target column may be absent, extra columns are ignored.",
    )
    if upload is not None:
        ds = dataset.upload_dataset(upload.name, upload.getvalue())
        return services.frame(ds), upload.name
    if run_id is not None and st.toggle(
        "Try it on 20 rows of the run's own data",
        key=widget_key("predict", "sample_rows"),
        help="Predict the first 20 rows the run trained on, without their target.",
    ):
        record = services.store().get_run(run_id)
        rows = services.store().load_data(run_id).head(20).drop(columns=[record["target"]], errors="ignore")
        return rows, "20 training rows"
    return None, ""


st.title("Predict")
with user_errors():
    chosen = _choose_model()
    kind = "table" if chosen is None else media.input_kind(chosen[0])
    if chosen is not None and kind != "table":
        st.caption(f"**{chosen[1]}** reads {'images' if kind == 'images' else 'texts'}.")
        media_panels.predict_inputs(chosen[0], kind)
    elif chosen is not None:
        pipeline, model_name, run_id = chosen
        used = prediction.used_columns(pipeline)
        st.caption(f"**{model_name}** reads {len(used)} column(s): " + ", ".join(f"`{c}`" for c in used))
        rows, rows_name = _rows(run_id)
        if rows is not None:
            check = prediction.check_rows(pipeline, rows)
            if check.extra:
                st.info(
                    "Ignored, as the model was not trained on them: " + ", ".join(f"`{c}`" for c in check.extra),
                    icon=":material/info:",
                )
            for column, n in check.unseen.items():
                st.warning(
                    f"`{column}`: {n} row(s) hold a category not seen in training; the model treats it as "
                    "none of the known ones.",
                    icon=":material/warning:",
                )
            predicted = prediction.predict(pipeline, rows)
            panels.show_predictions(predicted, f"{len(predicted):,} rows of {rows_name}")
