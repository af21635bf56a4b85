"""Runs page: every run in a table; open one in Results, compare several, cancel or delete them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.evaluate.metrics import METRICS
from dashboard import charts, jobs, panels, services, state
from dashboard.widgets import md, plural, user_errors, widget_key

CONFIRM = "runs.confirm_delete"
NOTES = "runs.notes"
SELECTED = widget_key("runs", "selected")


def _score(run: dict, mean: float, std: float) -> str:
    """``0.912 ± 0.013`` over folds; a single split (a holdout run) has no spread to show."""
    return f"{mean:.3f}" if panels.single_split(run) else f"{mean:.3f} ± {std:.3f}"


def _table(runs: list[dict]) -> pd.DataFrame:
    rows = []
    for run in runs:
        score = jobs.main_score(run)
        finished, started = run.get("finished_at"), run.get("started_at")
        rows.append(
            {
                "run": run["id"],
                "name": run["name"],
                "status": run["status"],
                "dataset": run["dataset"],
                "target": run["target"],
                "model": jobs.model_summary(run["spec"]),
                "score": f"{score[0]} {_score(run, score[1], score[2])}" if score else "",
                "duration": jobs.duration(finished - started) if finished and started else "",
                "created": pd.Timestamp(run["created_at"], unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M"),
            }
        )
    return pd.DataFrame(rows)


def _compare(runs: list[dict]) -> None:
    st.subheader(f"Comparing {len(runs)} runs")
    if any(panels.single_split(r) for r in runs):
        st.caption("A holdout run scores one split, so it has no spread (±) over folds.")
    labels = {r["id"]: f"{r['id']} · {r['name']}" for r in runs}
    metrics = [m for m in METRICS if any(m in jobs.scores(r) for r in runs)]
    side = pd.DataFrame(
        {
            labels[r["id"]]: [
                _score(r, s[m]["mean"], s[m]["std"]) if m in (s := jobs.scores(r)) else "" for m in metrics
            ]
            for r in runs
        },
        index=[METRICS[m][0] for m in metrics],
    )
    st.dataframe(side, width="stretch")
    store = services.store()
    left, right = st.columns(2, gap="large")
    if metrics:
        metric = left.selectbox(
            "Metric", metrics, format_func=lambda m: METRICS[m][0], key=widget_key("runs", "metric")
        )
        folds = [
            pd.DataFrame(store.get_result(r["id"], "fold_scores") or []).assign(run=labels[r["id"]]) for r in runs
        ]
        folds = pd.concat([f for f in folds if metric in f], ignore_index=True) if folds else pd.DataFrame()
        if not folds.empty:
            left.plotly_chart(
                charts.fold_scores(folds.assign(fold=folds["fold"] + 1), metric, by="run"),
                width="stretch",
                key="runs.compare.folds",
            )
    curves = []
    for run in runs:
        epochs = store.epochs(run["id"])
        scored = epochs[epochs["fold"] >= 0] if "fold" in epochs else epochs
        if not scored.empty:
            # The mean over folds per epoch: one curve per run however many folds it had.
            mean = scored.drop(columns=["fold"]).groupby("epoch", as_index=False).mean(numeric_only=True)
            curves.append(mean.assign(run=labels[run["id"]]))
    if curves:
        right.plotly_chart(
            charts.learning_curves(
                pd.concat(curves, ignore_index=True), "loss", by="run", title="loss (mean over folds)"
            ),
            width="stretch",
            key="runs.compare.curves",
        )


def _delete(ids: list[str]) -> None:
    # A button callback: it runs before the page is drawn, so the table shows what is left.
    store, kept, deleted = services.store(), [], set()
    for run_id in ids:
        try:
            store.delete_run(run_id)
        except ValueError as exc:
            kept.append(f"Run {run_id} was kept: {exc}")
            continue
        deleted.add(run_id)
        if state.run_id() == run_id:
            state.show_run(None)
    st.session_state[NOTES] = kept
    st.session_state.pop(CONFIRM, None)
    # Set, not dropped: the browser keeps showing a widget's chips until the server sends it a new value.
    st.session_state[SELECTED] = [i for i in st.session_state.get(SELECTED, []) if i not in deleted]


def _cancel(ids: list[str]) -> None:
    st.session_state[NOTES] = []
    for run_id in ids:
        try:
            jobs.cancel_run(run_id)
        except ValueError as exc:
            st.session_state[NOTES].append(str(exc))


def _actions(runs: list[dict]) -> list[dict]:
    by_id = {r["id"]: r for r in runs}
    chosen = st.multiselect(
        "Select runs",
        list(by_id),
        key=SELECTED,
        format_func=lambda i: panels.run_label(by_id[i]),
        placeholder="Choose one run to open it, two or more to compare them",
    )
    selected = [by_id[i] for i in chosen]
    active = [r["id"] for r in selected if r["status"] in jobs.ACTIVE]
    open_, cancel, delete = st.columns(3)
    if open_.button("Open in Results", icon=":material/monitoring:", disabled=len(selected) != 1, width="stretch"):
        state.show_run(selected[0]["id"])
        st.switch_page("views/results.py")
    cancel.button(
        "Cancel", icon=":material/stop:", disabled=not active, width="stretch", on_click=_cancel, args=(active,)
    )
    if delete.button("Delete", icon=":material/delete:", disabled=not selected, width="stretch"):
        st.session_state[CONFIRM] = [r["id"] for r in selected]
    pending = [i for i in st.session_state.get(CONFIRM, []) if i in by_id]
    if pending:
        st.warning(
            f"Delete {plural(len(pending), 'run')} ({', '.join(pending)}) with their files? This cannot be undone.",
            icon=":material/delete_forever:",
        )
        yes, no = st.columns(2)
        yes.button("Yes, delete", type="primary", width="stretch", on_click=_delete, args=(pending,))
        no.button("Keep them", width="stretch", on_click=st.session_state.pop, args=(CONFIRM, None))
    return selected


st.title("Runs")
for note in st.session_state.pop(NOTES, []):
    st.error(md(note), icon=":material/error:")
runs = panels.all_runs()
if not runs:
    st.info("No runs yet: train one on the **Train** page.", icon=":material/info:")
    st.stop()
st.dataframe(_table(runs), hide_index=True, width="stretch")
selected = _actions(runs)
if len(selected) >= 2:
    with user_errors():
        _compare(selected)
