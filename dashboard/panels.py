"""Parts drawn on more than one page: a run's learning curves, its status message, a run picker, predictions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, jobs, services
from dashboard.widgets import md

STATUS_ICONS = {
    "queued": ":material/schedule:",
    "running": ":material/sync:",
    "succeeded": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/cancel:",
    "interrupted": ":material/warning:",
}


def curves(run: dict, epochs: pd.DataFrame, key: str) -> None:
    """Train (solid) and validation (dashed) curves of every recorded quantity, one colour per fold."""
    if epochs.empty:
        st.caption("No epoch has finished yet.")
        return
    labelled = jobs.part_labels(epochs, run["spec"]["evaluation"]["mode"])
    metrics = jobs.curve_metrics(labelled)
    for cell, metric in zip(st.columns(max(len(metrics), 1)), metrics, strict=False):
        cell.plotly_chart(
            charts.learning_curves(labelled, metric, by="part", title=metric),
            width="stretch",
            key=f"{key}.{metric}",
        )


def status_message(run: dict) -> None:
    """Why a run ended, when it did not succeed (the worker's own words)."""
    status, error = run["status"], run.get("error") or ""
    if status == "failed":
        st.error(f"The run failed: {md(error, start=False)}", icon=STATUS_ICONS[status])
    elif status == "interrupted":
        st.warning(md(error) if error else "The run was interrupted.", icon=STATUS_ICONS[status])
    elif status == "cancelled":
        st.info("The run was cancelled; the epochs recorded before are kept.", icon=STATUS_ICONS[status])


def single_split(run: dict) -> bool:
    """Whether ``run`` is scored on one split (a holdout run without a search): no spread over folds."""
    spec = run.get("spec") or {}
    searched = (spec.get("search") or {}).get("mode", "none") != "none"
    return (spec.get("evaluation") or {}).get("mode") == "holdout" and not searched


def run_label(run: dict) -> str:
    """How a run is named in pickers: ``k3x9q2ma · name · status``."""
    return f"{run['id']} · {run['name']} · {run['status']}"


def pick_run(label: str, runs: list[dict], current: str | None, key: str) -> str | None:
    """A selectbox over ``runs`` that starts at ``current``; returns the chosen run id."""
    if not runs:
        return None
    ids = [r["id"] for r in runs]
    by_id = {r["id"]: r for r in runs}
    if key not in st.session_state or st.session_state[key] not in ids:
        st.session_state[key] = current if current in ids else ids[0]
    return st.selectbox(
        label,
        ids,
        key=key,
        format_func=lambda i: run_label(by_id[i]),
        help="Runs are listed newest first, as id · name · status.",
    )


def all_runs() -> list[dict]:
    """Every run, newest first."""
    return services.store().list_runs()


def show_predictions(predicted: pd.DataFrame, what: str) -> None:
    """A prediction table, probabilities drawn as bars, with its CSV download."""
    st.subheader(f"Predictions for {md(what, start=False)}")
    proba = {
        c: st.column_config.ProgressColumn(c, min_value=0, max_value=1, format="%.3f")
        for c in predicted
        if c.startswith("proba_") or c == "confidence"
    }
    st.dataframe(predicted, hide_index=True, width="stretch", column_config=proba)
    st.download_button(
        "Download predictions (CSV)",
        data=predicted.to_csv(index=False).encode("utf-8"),
        file_name="predictions.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
