"""Fixtures for the dashboard's AppTest tests: the app, tiny runs trained once, upload helpers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from backend.data import load_sample
from backend.runs import JobRunner, RunStore
from backend.spec import ExperimentSpec
from dashboard import services

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
FINAL = ("succeeded", "failed", "cancelled", "interrupted")


def tiny_spec(target: str, task: str, **evaluation) -> ExperimentSpec:
    """Settings that train in a second or two: 2 folds, 3 epochs, a small network."""
    spec = ExperimentSpec.for_target(target, task)
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.patience = 2
    spec.evaluation.folds = 2
    for name, value in evaluation.items():
        setattr(spec.evaluation, name, value)
    return spec


def wait_for(store: RunStore, run_id: str, timeout: float = 180.0) -> dict:
    """Wait until the run ends; return its record."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = store.get_run(run_id)
        if run["status"] in FINAL:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish within {timeout} s: {store.get_run(run_id)['status']}")


@pytest.fixture(autouse=True)
def _stop_runners():
    """Each test's server objects end with it: no worker outlives a test."""
    yield
    services.shutdown_runners()
    st.cache_resource.clear()


@pytest.fixture
def app() -> AppTest:
    """The dashboard, run once (the Data page with the default sample)."""
    return AppTest.from_file(str(APP), default_timeout=120).run()


def _open_page(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(query)
    at.run()
    return at.switch_page(f"views/{page}.py").run()


@pytest.fixture
def open_page():
    """``open_page("train", run="abc")``: a fresh browser session on a page (with URL query parameters)."""
    return _open_page


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory) -> Path:
    """A home with three finished runs: ``iris`` (classification, 2-fold CV), ``iris_holdout`` (a holdout
    split) and ``diabetes`` (regression).

    Trained once for the session through the real store and worker processes.
    """
    home = tmp_path_factory.mktemp("trained") / "home"
    store = RunStore(home)
    runs = {}
    plans = (
        ("iris", "iris", "classification", {}),
        ("iris_holdout", "iris", "classification", {"mode": "holdout"}),
        ("diabetes", "diabetes", "regression", {}),
    )
    with JobRunner(store, max_concurrent=2) as runner:
        for key, sample, task, evaluation in plans:
            frame = load_sample(sample)
            target = frame.columns[-1]
            spec = tiny_spec(target, task, **evaluation)
            run_id = store.create_run(
                spec.to_dict(), frame, name=f"tiny {key}", dataset=sample, target=target, task=task
            )
            runner.submit(run_id)
            runs[key] = run_id
        for run_id in runs.values():
            assert wait_for(store, run_id)["status"] == "succeeded", store.get_run(run_id)["error"]
    (home / "runs.json").write_text(json.dumps(runs))
    return home


@pytest.fixture
def trained(trained_home, monkeypatch) -> dict[str, str]:
    """Use :func:`trained_home` as this test's home; return the run ids by sample name."""
    monkeypatch.setenv("TORCHWORK_HOME", str(trained_home))
    return json.loads((trained_home / "runs.json").read_text())

