"""Settings page: where cross-validation folds and search fits run (local processes or a Dask cluster)."""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from backend.compute import (
    N_JOBS_ENV,
    SCHEDULER_ENV,
    ClusterUnavailable,
    ComputeSettings,
    ComputeSettingsError,
    describe_cluster,
    load_compute_settings,
    save_compute_settings,
)
from dashboard import services
from dashboard.widgets import plural, user_errors

TARGETS = ("This machine (local processes)", "A Dask cluster")
#: Session-state key of the last connection test: ``{"address", "cluster"}`` or ``{"address", "error"}``.
TESTED = "tw.settings.tested"


def _current() -> ComputeSettings:
    try:
        return load_compute_settings(services.home())
    except ComputeSettingsError as exc:
        st.error(f"The stored compute settings cannot be used: {exc}", icon=":material/error:")
        return ComputeSettings()


def _test_connection(address: str) -> None:
    try:
        st.session_state[TESTED] = {"address": address, "cluster": describe_cluster(address, timeout=5.0)}
    except ClusterUnavailable as exc:
        st.session_state[TESTED] = {"address": address, "error": str(exc)}


def _show_test(address: str) -> None:
    tested = st.session_state.get(TESTED)
    if not tested or tested["address"] != address:
        return
    if "error" in tested:
        st.error(tested["error"], icon=":material/cloud_off:")
        return
    cluster = tested["cluster"]
    st.success(
        f"Connected to {cluster['address']}: **{plural(cluster['n_workers'], 'worker')}, {plural(cluster['n_threads'], 'thread')}** "
        "in all.",
        icon=":material/cloud_done:",
    )
    if cluster["n_workers"] == 0:
        st.warning(
            "The scheduler has no workers yet: start some before a run trains there.",
            icon=":material/warning:",
        )
        return
    workers = pd.DataFrame(
        [
            {
                "worker": w["name"],
                "address": w["address"],
                "host": w["host"],
                "threads": w["nthreads"],
                "cores": w["cpus"],
                "memory (GB)": round(w["memory_limit"] / 1e9, 2) if w["memory_limit"] else None,
            }
            for w in cluster["workers"]
        ]
    )
    st.dataframe(workers, hide_index=True, width="stretch")


def _saved(chosen: ComputeSettings) -> None:
    """Say what was saved, and, for a cluster, whether the check made on saving could reach it."""
    if not chosen.scheduler:
        st.success(
            f"Saved: cross-validation and searches started from now on use {plural(chosen.n_jobs, 'local process', 'local processes')}.",
            icon=":material/check:",
        )
        return
    tested = st.session_state.get(TESTED) or {}
    if "error" in tested:
        st.warning(
            f"Saved, but the scheduler is unreachable now. {tested['error']} Until it can be reached, runs "
            "with cross-validation or a search fail when they start; choose this machine to train here.",
            icon=":material/cloud_off:",
        )
    elif not tested.get("cluster", {}).get("n_workers"):
        st.warning(
            f"Saved, but the Dask cluster at {chosen.scheduler} has no workers yet: a run with cross-validation "
            "or a search waits a few seconds for one to join, then fails.",
            icon=":material/warning:",
        )
    else:
        st.success(
            f"Saved: cross-validation and searches started from now on use the Dask cluster at {chosen.scheduler}.",
            icon=":material/check:",
        )


st.title("Settings")
st.subheader("Compute")
st.caption(
    "Where a run trains in parallel: the folds of a cross-validation, and a hyperparameter search's candidates "
    "and their folds. With one local process they run one after another in the run's own process; a holdout "
    "split and the final fit on every row always do. Each run's own process starts the fits; the setting "
    "applies to runs started after it is saved."
)
current = _current()
overridden = [name for name in (SCHEDULER_ENV, N_JOBS_ENV) if name in os.environ]
if overridden:
    st.info(
        "Set in this server's environment, which takes precedence over what is saved here: "
        + ", ".join(f"`{name}={os.environ[name]}`" for name in overridden),
        icon=":material/info:",
    )
target = st.radio(
    "Run on",
    TARGETS,
    index=1 if current.target == "dask" else 0,
    key="w.settings.target",
    horizontal=True,
    help="Local processes share this machine's cores; a Dask cluster spreads the fits over its workers.",
)
cores = os.cpu_count() or 1
problems: list[str] = []
if target == TARGETS[0]:
    n_jobs = st.number_input(
        "Local processes",
        min_value=1,
        max_value=max(cores * 4, 1),
        value=max(current.n_jobs, 1) if current.n_jobs != -1 else cores,
        step=1,
        key="w.settings.n_jobs",
        help=(
            f"How many fits (cross-validation folds, a search's candidates and folds) run at once; this machine "
            f"has {plural(cores, 'core')}. 1 runs them one after another."
        ),
    )
    chosen = ComputeSettings(n_jobs=int(n_jobs))
else:
    address = st.text_input(
        "Dask scheduler address",
        value=current.scheduler,
        key="w.settings.scheduler",
        placeholder="tcp://host:8786",
        help="The address the scheduler prints when it starts (dask scheduler), such as tcp://10.0.0.5:8786.",
    ).strip()
    chosen = ComputeSettings(n_jobs=current.n_jobs if current.n_jobs else 1, scheduler=address)
    problems = chosen.problems() if address else ["Write the scheduler's address, such as tcp://host:8786."]
    if st.button(
        "Test connection",
        icon=":material/lan:",
        disabled=bool(problems),
        help="Connects to the scheduler and lists its workers and their threads.",
    ):
        with st.spinner(f"Connecting to {address}…"):
            _test_connection(address)
    for problem in problems:
        st.caption(problem)
    _show_test(address)
with user_errors():
    if st.button("Save", type="primary", icon=":material/save:", disabled=bool(problems)):
        if chosen.scheduler:
            # Saved either way (the cluster may be starting), but not as if all were well.
            with st.spinner(f"Checking {chosen.scheduler}…"):
                _test_connection(chosen.scheduler)
        save_compute_settings(chosen, services.home())
        _saved(chosen)
