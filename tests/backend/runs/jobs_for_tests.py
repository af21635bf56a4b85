"""Small job functions that the run tests hand to real worker processes."""

from __future__ import annotations

import os
import time

import numpy as np


def record_epochs(store, run_id):
    """Record the spec's number of epochs (3 by default), pausing between them, then a summary."""
    spec = store.get_run(run_id)["spec"]
    data = store.load_data(run_id)
    store.add_event(run_id, "started", {"pid": os.getpid(), "time": time.time(), "rows": len(data)})
    for epoch in range(1, spec.get("epochs", 3) + 1):
        time.sleep(spec.get("pause", 0.2))
        store.add_epoch(
            run_id, {"fold": -1, "epoch": epoch, "train_loss": 1.0 / epoch, "dur": np.float32(0.1)}
        )
    store.set_result(run_id, "mean_target", float(data["y"].mean()))
    store.set_summary(run_id, {"epochs": spec.get("epochs", 3)})


def reject_input(store, run_id):
    """Fail the way a user error fails."""
    raise ValueError("The target column 'y' has only one class; pick a column with at least two.")


def crash(store, run_id):
    """Fail the way a bug fails."""
    return {}["missing"]


def sleep_long(store, run_id):
    """Record one epoch, then sleep far longer than any test waits."""
    store.add_event(run_id, "started", {"pid": os.getpid(), "time": time.time()})
    store.add_epoch(run_id, {"fold": 0, "epoch": 1, "train_loss": 0.5})
    time.sleep(120)


def ignore_sigterm_and_sleep(store, run_id):
    """Sleep in a loop that swallows SIGTERM's exception, so only SIGKILL can stop it."""
    store.add_event(run_id, "started", {"pid": os.getpid(), "time": time.time()})
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            time.sleep(0.05)
        except BaseException:  # a job that ignores being asked to stop
            continue


def busy_writer(store, run_id):
    """Write many small rows quickly, as a fast training loop does."""
    for i in range(150):
        store.add_epoch(run_id, {"fold": i % 3, "epoch": i, "train_loss": float(i)})
        store.add_event(run_id, "progress", {"step": i})


def write_big_artifact(store, run_id):
    """Write a signed file larger than the room left on a small disk."""
    from backend.artifacts import write_signed

    write_signed(b"\0" * 3_000_000, store.run_dir(run_id) / "big.bin", "predictions", store.home)


def run_out_of_memory(store, run_id):
    """Fail as an allocation too large for the machine fails."""
    raise MemoryError()
