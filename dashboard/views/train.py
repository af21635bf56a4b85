"""Train page: start a run from the session's dataset and spec, watch it train live, cancel it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import dataset, jobs, panels, search_panels, services, state
from dashboard.widgets import code, md, plural, readable, user_errors, widget_key

#: Seconds between two looks at a run in progress.
POLL_S = 1.0
#: How the progress bar names a run that ended without finishing.
ENDED = {"cancelled": "Cancelled", "failed": "Failed", "interrupted": "Interrupted"}


def _launch() -> None:
    ds, frame = dataset.active()
    spec = state.current_spec()
    data = spec.data
    problems, _ = jobs.training_problems(ds, frame, spec)
    st.markdown(
        f"**{md(ds.label, start=False)}** · predicting {code(data.target)} ({data.task}) · "
        f"{md(jobs.model_summary(spec.to_dict()), start=False)} · up to {plural(spec.training.max_epochs, 'epoch')}"
    )
    name = st.text_input(
        "Run name",
        key=widget_key("train", "name"),
        placeholder=f"{ds.label} → {data.target}",
        help="How the run is listed on the Runs page; left empty, it is named after the dataset and target.",
    )
    if problems:
        st.error(
            "Fix these before training:\n\n" + "\n".join(f"- {p}" for p in problems),
            icon=":material/error:",
        )
        left, right = st.columns(2)
        left.page_link("views/data.py", label="Data page", icon=":material/table_chart:")
        right.page_link("views/model.py", label="Model page", icon=":material/tune:")
    for warning in spec.warnings():
        st.warning(readable(warning, places=True), icon=":material/warning:")
    if st.button("Train", type="primary", icon=":material/play_arrow:", disabled=bool(problems)):
        with user_errors():
            run_id = jobs.start_run(ds, frame, spec, name.strip() or f"{ds.label} → {data.target}")
            state.show_run(run_id)


def _queue() -> None:
    active = [r for r in services.store().list_runs() if r["status"] in jobs.ACTIVE]
    with user_errors():
        # Started now rather than at the first Train click, so its worker is warm by then.
        limit = services.runner().max_concurrent
        st.caption(
            f"Up to {plural(limit, 'run')} {'trains' if limit == 1 else 'train'} at once; others wait in the "
            f"queue (set `{services.MAX_JOBS_ENV}` before starting the server to change this)."
        )
    if not active:
        return
    table = pd.DataFrame(
        {
            "run": [r["id"] for r in active],
            "name": [r["name"] for r in active],
            "status": [r["status"] for r in active],
            "created": [pd.Timestamp(r["created_at"], unit="s", tz="UTC") for r in active],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    chosen = panels.pick_run("Watch run", active, state.run_id(), key=widget_key("train", "watch"))
    if chosen != state.run_id() and st.button("Watch this run"):
        state.show_run(chosen)


def _bar_text(status: str, message: str) -> str:
    """What the progress bar says: the step in progress, or how and where a run that did not finish ended."""
    if status not in ENDED:
        return message
    return f"{ENDED[status]} — stopped at {message}" if message and message != "Starting…" else ENDED[status]


def _live(run_id: str, was_active: bool) -> None:
    run = services.store().get_run(run_id)
    if run is None:
        st.warning(f"Run {code(run_id)} no longer exists.")
        return
    epochs = services.store().epochs(run_id)
    progress = jobs.progress(run, epochs)
    active = run["status"] in jobs.ACTIVE
    st.caption(f"Run {code(run_id)} · {run['status']}")
    bar, elapsed, remaining = st.columns([4, 1, 1], vertical_alignment="bottom")
    bar.progress(progress.fraction, text=md(_bar_text(run["status"], progress.message)))
    elapsed.metric("Elapsed", jobs.duration(progress.elapsed) or "–")
    remaining.metric(
        "Left (at most)",
        jobs.duration(progress.remaining) or "–",
        help="Assumes every fold trains all its epochs; early stopping can end sooner.",
    )
    if search_panels.is_search(run):
        search_panels.live(run, epochs)
    else:
        panels.curves(run, epochs, key=f"live.{run_id}")
    panels.status_message(run)
    if run["status"] == "succeeded":
        st.success("Training finished.", icon=":material/check_circle:")
        st.page_link("views/results.py", label="Open the results", icon=":material/monitoring:")
    if was_active and not active:
        # The run has ended: redraw the whole page once, without the timer.
        st.rerun()


st.title("Train")
with user_errors():
    _launch()
_queue()
run_id = state.run_id()
if run_id is not None:
    st.divider()
    record = services.store().get_run(run_id)
    if record is None:
        st.warning(f"Run {code(run_id)} no longer exists; it may have been deleted.")
        state.show_run(None)
    else:
        active = record["status"] in jobs.ACTIVE
        title, cancel = st.columns([5, 1], vertical_alignment="bottom")
        title.subheader(md(record["name"]))
        if active:
            # Outside the timed part: a click reruns the whole page once, which then stops polling.
            cancel.button("Cancel", icon=":material/stop:", on_click=jobs.cancel_run, args=(run_id,), width="stretch")
        st.fragment(_live, run_every=POLL_S if active else None)(run_id, active)
