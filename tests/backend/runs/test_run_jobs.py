"""Running a job in the calling process, as the command line does."""

from __future__ import annotations

import os

import pytest
from conftest import new_run

from backend.runs import RunStatus, run_job_in_process


def test_a_job_runs_in_process_and_succeeds(store, table):
    run_id = new_run(store, table, "record_epochs", epochs=2, pause=0)
    assert run_job_in_process(store, run_id) == RunStatus.SUCCEEDED
    run = store.get_run(run_id)
    assert run["status"] == "succeeded" and run["pid"] == os.getpid()
    assert store.epochs(run_id)["epoch"].tolist() == [1, 2]
    assert store.get_result(run_id, "mean_target") == 0.5
    assert run["summary"] == {"epochs": 2}


def test_a_user_error_fails_the_run_with_its_own_message(store, table):
    run_id = new_run(store, table, "reject_input")
    assert run_job_in_process(store, run_id) == RunStatus.FAILED
    assert store.get_run(run_id)["error"] == (
        "The target column 'y' has only one class; pick a column with at least two."
    )


def test_a_bug_fails_the_run_with_its_type_and_keeps_the_traceback(store, table):
    run_id = new_run(store, table, "crash")
    run_job_in_process(store, run_id)
    assert store.get_run(run_id)["error"] == "KeyError: 'missing'"
    (event,) = store.events(run_id, "traceback")
    assert "jobs_for_tests.py" in event["payload"]["traceback"]


def test_a_job_that_cannot_be_found_fails_with_a_readable_message(store, table):
    run_id = new_run(store, table, "no_such_job")
    run_job_in_process(store, run_id)
    assert store.get_run(run_id)["error"] == (
        "The job 'jobs_for_tests:no_such_job' could not be loaded: jobs_for_tests has no function 'no_such_job'."
    )


def test_only_a_queued_run_can_be_run(store, table):
    run_id = new_run(store, table, "record_epochs", epochs=1, pause=0)
    run_job_in_process(store, run_id)
    with pytest.raises(ValueError, match="is succeeded; only a queued run can be started"):
        run_job_in_process(store, run_id)
