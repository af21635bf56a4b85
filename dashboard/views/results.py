"""Results page: a run's scores per fold, learning curves, out-of-fold diagnostics and downloads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from backend.evaluate.metrics import METRICS
from dashboard import artifacts_panel, charts, jobs, media_panels, panels, search_panels, services, state
from dashboard.widgets import code, md, plural, user_errors, widget_key


def _scores(run: dict, folds: pd.DataFrame) -> None:
    summary = jobs.scores(run)
    metrics = [m for m in METRICS if m in summary]
    evaluation = run["spec"]["evaluation"]
    # A search scores its best candidate on the search folds, whatever the evaluation settings say.
    searched = search_panels.is_search(run)
    cv = evaluation["mode"] == "cv" or searched
    n_folds = run["spec"]["search"]["folds"] if searched else evaluation["folds"]
    st.subheader(
        f"{n_folds}-fold cross-validation" + (" of the best candidate" if searched else "") if cv else "Holdout scores"
    )
    cells = st.columns(max(len(metrics), 1))
    for cell, metric in zip(cells, metrics, strict=False):
        mean, std = summary[metric]["mean"], summary[metric]["std"]
        better = "higher" if METRICS[metric][1] else "lower"
        cell.metric(
            METRICS[metric][0],
            f"{mean:.3f}",
            help=f"The mean over the folds; {better} is better." if cv else f"{better.capitalize()} is better.",
        )
        if cv:
            cell.caption(f"± {std:.3f} (std over folds)")
    if folds.empty:
        return
    shown = folds.assign(fold=folds["fold"] + 1) if cv else folds.drop(columns="fold")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=_score_format(metrics))
    if cv and metrics:
        chart = st.container()
        metric = chart.selectbox(
            "Chart the metric",
            metrics,
            format_func=lambda m: METRICS[m][0],
            key=widget_key("results", "metric"),
        )
        chart.plotly_chart(charts.fold_scores(shown, metric), width="stretch", key="results.folds")
    omitted = services.store().get_result(run["id"], "omitted") or {}
    for metric, why in omitted.items():
        st.caption(f"{METRICS.get(metric, (metric,))[0]} was not computed on {md(why, start=False)}.")


def _score_format(metrics: list[str]) -> dict:
    return {m: st.column_config.NumberColumn(METRICS[m][0], format="%.4f") for m in metrics}


def _diagnostics(run: dict, oof: pd.DataFrame) -> None:
    holdout = panels.single_split(run)
    source = "holdout rows" if holdout else "out-of-fold"
    if holdout:
        st.subheader("Holdout predictions")
        fraction = run["spec"]["evaluation"]["holdout_fraction"]
        st.caption(
            f"The {plural(len(oof), 'row')} held out ({fraction:.0%} of the data), each predicted by the model "
            "trained on the other rows; the rows it trained on are not shown."
        )
    else:
        st.subheader("Out-of-fold predictions")
        st.caption("Every row is predicted by the model of the fold that did not see it in training.")
    left, right = st.columns(2, gap="large")
    if run["task"] == "classification":
        classes = services.store().get_result(run["id"], "classes") or sorted(oof["true"].astype(str).unique())
        left.plotly_chart(
            charts.confusion_matrix(oof["true"], oof["predicted"], labels=classes, source=source),
            width="stretch",
            key="results.cm",
        )
        proba = oof[[c for c in oof.columns if c.startswith("proba_")]]
        proba.columns = [c.removeprefix("proba_") for c in proba.columns]
        if proba.shape[1] >= 2:
            right.plotly_chart(charts.roc_curves(oof["true"], proba, source=source), width="stretch", key="results.roc")
            right.caption(_auc_note(holdout, proba.shape[1]))
    else:
        left.plotly_chart(
            charts.predicted_vs_actual(oof["true"], oof["predicted"], source=source),
            width="stretch",
            key="results.pva",
        )
        right.plotly_chart(
            charts.residuals(oof["true"], oof["predicted"], source=source), width="stretch", key="results.residuals"
        )


def _auc_note(holdout: bool, n_classes: int) -> str:
    """Why the curves' AUCs and the scores' ROC AUC can differ."""
    curves = "one curve per class against the rest" if n_classes > 2 else "the curve of the second class"
    if holdout:
        table = "the average of the per-class AUCs (macro)" if n_classes > 2 else "the same AUC"
        return f"The legend's AUCs belong to {curves}, on the holdout rows; the scores' ROC AUC is {table}."
    table = "the mean over folds of each fold's AUC" + (", averaged over classes (macro)" if n_classes > 2 else "")
    return (
        f"The legend's AUCs belong to {curves}, computed on every out-of-fold row pooled together; the scores' "
        f"ROC AUC is {table}, so the two can differ a little."
    )


def _downloads(run: dict, files: dict[str, Path]) -> None:
    st.subheader("Downloads")
    cells = st.columns(3)
    items = (
        ("pipeline", "Fitted pipeline (.pkl)", "application/octet-stream", ":material/download:"),
        ("model_card", "Model card (JSON)", "application/json", ":material/description:"),
        (
            "oof",
            f"{'Holdout' if panels.single_split(run) else 'Out-of-fold'} predictions (CSV)",
            "text/csv",
            ":material/table_view:",
        ),
    )
    for cell, (kind, label, mime, icon) in zip(cells, items, strict=True):
        path = files.get(kind)
        if path is None:
            cell.caption(f"{label}: not available")
            continue
        cell.download_button(
            label,
            data=path.read_bytes(),
            file_name=f"{run['id']}_{path.name}",
            mime=mime,
            icon=icon,
            on_click="ignore",
            key=f"download.{kind}",
        )
    st.caption(media_panels.pipeline_usage(run))


def _show(run: dict) -> None:
    st.caption(
        f"{md(run['dataset'])} → {code(run['target'])} ({run['task']}) · {md(jobs.model_summary(run['spec']))} · "
        f"run `{run['id']}`"
    )
    if run["status"] in jobs.ACTIVE:
        st.info("This run is still training.", icon=":material/sync:")
        st.page_link("views/train.py", label="Watch it on the Train page", icon=":material/model_training:")
        return
    panels.status_message(run)
    store = services.store()
    epochs = search_panels.shown_epochs(run, store.epochs(run["id"]))
    if search_panels.is_search(run):
        search_panels.results(run)
    if run["status"] == "succeeded":
        _scores(run, pd.DataFrame(store.get_result(run["id"], "fold_scores") or []))
        dropped = (run.get("summary") or {}).get("n_dropped") or 0
        if dropped:
            st.caption(f"{plural(dropped, 'row')} with a missing target {'was' if dropped == 1 else 'were'} left out.")
    st.subheader("Learning curves")
    panels.curves(run, epochs, key="results.curves")
    if run["status"] != "succeeded":
        return
    files = jobs.files(run)
    if "oof" in files:
        oof = pd.read_csv(files["oof"])
        _diagnostics(run, oof)
        media_panels.mistakes(run, oof)
    _downloads(run, files)
    artifacts_panel.render(run)


st.title("Results")
runs = panels.all_runs()
if not runs:
    st.info("No runs yet: train one on the **Train** page.", icon=":material/info:")
    st.page_link("views/train.py", label="Train page", icon=":material/model_training:")
    st.stop()
# With no run in view, the latest that succeeded: a cancelled or failed one has no scores to show.
latest = next((r["id"] for r in runs if r["status"] == "succeeded"), None)
chosen = panels.pick_run("Run", runs, state.run_id() or latest, key=widget_key("results", "run"))
if chosen != state.run_id():
    state.show_run(chosen)
with user_errors():
    record = services.store().get_run(chosen)
    if record is None:
        st.warning(f"Run {code(chosen)} no longer exists.")
    else:
        _show(record)
