"""The run store: runs, statuses, epochs, events and results in a real SQLite file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import new_run

from backend.home import torchwork_home
from backend.runs import RunNotFound, RunStatus, RunStore


def test_home_is_the_environment_folder_created_private(home):
    assert torchwork_home() == home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_create_run_queues_it_with_its_data_and_spec(store, table):
    run_id = store.create_run(
        {"model": "mlp", "epochs": 3},
        table,
        name="first",
        dataset="toy.csv",
        target="y",
        task="classification",
    )
    run = store.get_run(run_id)
    assert run_id.isalnum() and run_id.islower()
    assert run["status"] == RunStatus.QUEUED
    assert run["spec"] == {"model": "mlp", "epochs": 3}
    assert (run["name"], run["dataset"], run["target"], run["task"]) == (
        "first",
        "toy.csv",
        "y",
        "classification",
    )
    assert run["job"] == "backend.runs.training:train_run"
    pd.testing.assert_frame_equal(store.load_data(run_id), table)
    assert json.loads((store.run_dir(run_id) / "spec.json").read_text()) == run["spec"]
    assert sorted(p.name for p in store.run_dir(run_id).iterdir()) == ["data.parquet", "spec.json"]


def test_create_run_refuses_non_text_column_names(store):
    with pytest.raises(ValueError, match="Column names must be text"):
        store.create_run(
            {}, pd.DataFrame({0: [1.0], 1: [2.0]}), name="n", dataset="d", target="1", task="regression"
        )
    assert store.list_runs() == []


def test_list_runs_is_newest_first(store, table):
    ids = [new_run(store, table, "record_epochs") for _ in range(3)]
    assert [run["id"] for run in store.list_runs()] == ids[::-1]
    store.set_status(ids[1], "cancelled")
    assert [run["id"] for run in store.list_runs(status="queued")] == [ids[2], ids[0]]


def test_status_changes_set_times_and_an_ended_run_stays_ended(store, table):
    run_id = new_run(store, table, "record_epochs")
    assert store.set_status(run_id, "running", pid=os.getpid())
    started = store.get_run(run_id)
    assert started["started_at"] is not None and started["pid"] == os.getpid()
    assert store.set_status(run_id, RunStatus.CANCELLED)
    # The worker reporting success afterwards does not overwrite the cancellation.
    assert not store.set_status(run_id, RunStatus.SUCCEEDED)
    ended = store.get_run(run_id)
    assert ended["status"] == "cancelled" and ended["finished_at"] >= ended["started_at"]
    # A retry queues it again, with a clean slate.
    assert store.set_status(run_id, "queued")
    assert store.get_run(run_id)["started_at"] is None


def test_a_run_cannot_be_started_twice(store, table):
    run_id = new_run(store, table, "record_epochs")
    assert store.set_status(run_id, "running", pid=os.getpid())
    assert not store.set_status(run_id, "running", pid=os.getpid() + 1)


def test_failed_status_keeps_its_reason(store, table):
    run_id = new_run(store, table, "record_epochs")
    store.set_status(run_id, "failed", "out of memory")
    assert store.get_run(run_id)["error"] == "out of memory"


def test_unknown_status_and_unknown_run_are_refused(store, table):
    run_id = new_run(store, table, "record_epochs")
    with pytest.raises(ValueError, match="Unknown run status 'done'"):
        store.set_status(run_id, "done")
    with pytest.raises(RunNotFound, match="No run with id 'nosuchid'"):
        store.set_status("nosuchid", "failed")
    assert store.get_run("nosuchid") is None


def test_epochs_come_back_as_a_frame_in_recording_order(store, table):
    run_id = new_run(store, table, "record_epochs")
    assert list(store.epochs(run_id).columns) == ["fold", "epoch"]
    store.add_epoch(run_id, {"fold": 0, "epoch": 1, "train_loss": np.float32(0.75), "valid_acc": 0.5})
    store.add_epoch(run_id, {"fold": 0, "epoch": 2, "train_loss": 0.5, "valid_acc": 0.75})
    store.add_epoch(run_id, {"fold": -1, "epoch": np.int64(1), "train_loss": 0.25})
    frame = store.epochs(run_id)
    assert frame["fold"].tolist() == [0, 0, -1]
    assert frame["epoch"].tolist() == [1, 2, 1]
    assert frame["train_loss"].tolist() == [0.75, 0.5, 0.25]
    assert frame["valid_acc"].iloc[:2].tolist() == [0.5, 0.75] and np.isnan(frame["valid_acc"].iloc[2])


def test_epoch_record_needs_fold_and_epoch(store, table):
    run_id = new_run(store, table, "record_epochs")
    with pytest.raises(ValueError, match="needs 'fold' and 'epoch'"):
        store.add_epoch(run_id, {"epoch": 1, "train_loss": 0.1})
    with pytest.raises(TypeError, match="'epoch' must be an integer"):
        store.add_epoch(run_id, {"fold": 0, "epoch": 1.5})


def test_events_results_and_summary_round_trip(store, table):
    run_id = new_run(store, table, "record_epochs")
    store.add_event(run_id, "progress", {"message": "fold 1/5"})
    store.add_event(run_id, "fold_score", {"fold": 0, "score": np.float64(0.8)})
    store.add_event(run_id, "progress", {"message": "fold 2/5"})
    assert [e["payload"]["message"] for e in store.events(run_id, "progress")] == ["fold 1/5", "fold 2/5"]
    assert [e["kind"] for e in store.events(run_id)] == ["progress", "fold_score", "progress"]

    store.set_result(run_id, "confusion", np.array([[3, 1], [0, 4]]))
    store.set_result(run_id, "cv_mean", 0.5)
    store.set_result(run_id, "cv_mean", 0.8)
    assert store.get_result(run_id, "confusion") == [[3, 1], [0, 4]]
    assert store.get_result(run_id, "cv_mean") == 0.8
    assert store.get_result(run_id, "missing") is None
    store.set_summary(run_id, {"score": 0.8})
    assert store.get_run(run_id)["summary"] == {"score": 0.8}


def test_delete_run_removes_its_rows_and_folder(store, table):
    keep, gone = new_run(store, table, "record_epochs"), new_run(store, table, "record_epochs")
    for run_id in (keep, gone):
        store.set_status(run_id, "cancelled")
        store.add_epoch(run_id, {"fold": 0, "epoch": 1})
        store.add_event(run_id, "progress", {})
        store.set_result(run_id, "score", 1.0)
    folder = store.run_dir(gone)
    store.delete_run(gone)
    assert store.get_run(gone) is None and not folder.exists()
    assert store.epochs(gone).empty and store.events(gone) == [] and store.get_result(gone, "score") is None
    assert len(store.epochs(keep)) == 1 and store.run_dir(keep).exists()


def test_a_running_run_cannot_be_deleted(store, table):
    run_id = new_run(store, table, "record_epochs")
    store.set_status(run_id, "running", pid=os.getpid())
    with pytest.raises(ValueError, match="cancel it before deleting it"):
        store.delete_run(run_id)


def test_mark_interrupted_runs_marks_runs_whose_process_died(store, table):
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(finished.stdout)
    orphan, alive = new_run(store, table, "record_epochs"), new_run(store, table, "record_epochs")
    store.set_status(orphan, "running", pid=dead_pid)
    store.set_status(alive, "running", pid=os.getpid())

    assert store.mark_interrupted_runs() == [orphan]
    run = store.get_run(orphan)
    assert run["status"] == "interrupted" and f"pid {dead_pid}" in run["error"]
    assert store.get_run(alive)["status"] == "running"
    # At a start where no worker can have survived, every running run is marked.
    assert store.mark_interrupted_runs(all_running=True) == [alive]


def test_two_stores_on_one_home_see_each_others_writes(home, table):
    first, second = RunStore(home), RunStore(home)
    run_id = new_run(first, table, "record_epochs")
    second.add_epoch(run_id, {"fold": 0, "epoch": 1})
    assert len(first.epochs(run_id)) == 1
    assert (home / "runs.db").exists()
