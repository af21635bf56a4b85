"""A cross-validation run whose folds run on the compute settings' local processes: live epochs, cancel."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from backend.compute import ComputeSettings, save_compute_settings
from backend.data import load_sample
from backend.runs import JobRunner
from backend.runs.processes import process_alive
from backend.runs.store import RunStore
from backend.runs.training import train_run
from backend.spec import ExperimentSpec


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHWORK_N_JOBS", raising=False)
    monkeypatch.delenv("TORCHWORK_DASK_SCHEDULER", raising=False)
    store = RunStore(home=tmp_path / "home")
    save_compute_settings(ComputeSettings(n_jobs=2), store.home)
    yield store
    store.close()


def _create(store: RunStore, spec: ExperimentSpec) -> str:
    return store.create_run(
        spec.to_dict(),
        load_sample("iris"),
        name="cv",
        dataset="iris",
        target="species",
        task="classification",
    )


def _spec(max_epochs: int = 3, folds: int = 3) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("species")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = max_epochs
    spec.training.early_stopping = False
    spec.evaluation.folds = folds
    return spec


def test_a_cv_run_with_two_local_processes_records_every_folds_epochs(store):
    run_id = _create(store, _spec())
    train_run(store, run_id)

    epochs = store.epochs(run_id)
    assert sorted(epochs["fold"].unique()) == [-1, 0, 1, 2]
    assert (epochs.groupby("fold")["epoch"].apply(sorted) == [[1, 2, 3]] * 4).all()
    assert "candidate" not in epochs.columns
    assert sorted(e["payload"]["fold"] for e in store.events(run_id, "fold_end")) == [0, 1, 2]
    messages = [e["payload"]["message"] for e in store.events(run_id, "progress")]
    assert messages[0] == "Cross-validation: 3 folds on 2 local processes"
    assert messages[-1] == "Final fit done"
    results = store.results(run_id)
    assert [row["fold"] for row in results["fold_scores"]] == [0, 1, 2]
    assert [row["epochs"] for row in results["fold_scores"]] == [3, 3, 3]


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found |= {child, *_descendants(child)}
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="lists child processes through /proc")
def test_cancel_stops_a_cv_run_whose_folds_train_in_other_processes(store):
    run_id = _create(store, _spec(max_epochs=5000, folds=2))
    with JobRunner(store, preload=["backend.runs.training"], poll_interval=0.1) as runner:
        runner.submit(run_id)
        deadline = time.monotonic() + 120
        # Epochs of the folds reach the store while they train.
        while not (len(epochs := store.epochs(run_id)) and (epochs["fold"] >= 0).sum() >= 4):
            assert time.monotonic() < deadline, "no fold epochs recorded"
            time.sleep(0.1)
        worker = store.get_run(run_id)["pid"]
        fold_processes = _descendants(worker)
        assert fold_processes, "the folds should train in processes of their own"
        started = time.monotonic()
        assert runner.cancel(run_id)
        assert time.monotonic() - started < 10
    run = store.get_run(run_id)
    assert run["status"] == "cancelled"
    assert not process_alive(worker)
    deadline = time.monotonic() + 15
    while any(process_alive(pid) for pid in fold_processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in fold_processes if process_alive(pid)], "fold processes outlived the cancel"
    assert os.getpid() not in fold_processes
