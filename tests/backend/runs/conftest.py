"""Fixtures for the run tests: a store in a temporary home, and runners whose workers can import test jobs."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from backend.runs import JobRunner, RunStore

HERE = Path(__file__).resolve().parent


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("TORCHWORK_HOME", str(home))
    # Worker processes import the test jobs from this folder.
    monkeypatch.setenv("PYTHONPATH", str(HERE))
    return home


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    """One store for a whole test module, so its runner's warm worker serves test after test."""
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("shared") / "home"
        mp.setenv("TORCHWORK_HOME", str(home))
        mp.setenv("PYTHONPATH", str(HERE))
        store = RunStore(home)
        yield store
        store.close()


@pytest.fixture(scope="module")
def shared_runner(shared_store):
    """A runner of one job at a time on ``shared_store``; each test leaves it with nothing running."""
    runner = JobRunner(shared_store, max_concurrent=1, preload=["jobs_for_tests"], poll_interval=0.1)
    yield runner
    runner.shutdown()


@pytest.fixture
def store(home):
    store = RunStore(home)
    yield store
    store.close()


@pytest.fixture
def make_runner(store):
    runners = []

    def make(max_concurrent: int = 1) -> JobRunner:
        runner = JobRunner(
            store, max_concurrent=max_concurrent, preload=["jobs_for_tests"], poll_interval=0.1
        )
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.shutdown()


@pytest.fixture
def table():
    return pd.DataFrame(
        {"x": [0.5, 1.5, 2.5, 3.5], "colour": ["red", "blue", "red", "green"], "y": [0, 1, 0, 1]}
    )


def new_run(store: RunStore, table: pd.DataFrame, job: str, **spec) -> str:
    """Create a queued run of ``jobs_for_tests.<job>`` with ``spec``."""
    return store.create_run(
        spec,
        table,
        name=job,
        dataset="toy.csv",
        target="y",
        task="classification",
        job=f"jobs_for_tests:{job}",
    )


def wait_for(condition, timeout: float = 60.0, interval: float = 0.05):
    """Poll ``condition()`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def wait_for_end(store: RunStore, run_id: str, timeout: float = 60.0) -> dict:
    """Wait until the run has ended; return it."""
    return wait_for(
        lambda: (run := store.get_run(run_id))["status"] not in ("queued", "running") and run, timeout
    )
