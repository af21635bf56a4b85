"""The job runner with real worker processes: start, progress, failure, cancel, kill, restart, concurrency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import new_run, wait_for, wait_for_end

from backend.runs import JobRunner
from backend.runs.processes import process_alive
from backend.runs.worker import EXIT_TERMINATED


def started_pid(store, run_id) -> int:
    """Wait until the run's job has started; return the pid of the process running it."""
    return wait_for(lambda: store.events(run_id, "started"))[0]["payload"]["pid"]


def test_a_submitted_run_records_epochs_while_running_then_succeeds(shared_store, shared_runner, table):
    store = shared_store
    run_id = new_run(store, table, "record_epochs", epochs=5, pause=0.3)
    shared_runner.submit(run_id)

    def seen_mid_run():
        run, epochs = store.get_run(run_id), store.epochs(run_id)
        return run["status"] == "running" and 0 < len(epochs) < 5

    wait_for(seen_mid_run)
    run = wait_for_end(store, run_id)
    assert run["status"] == "succeeded" and run["error"] is None
    assert store.epochs(run_id)["epoch"].tolist() == [1, 2, 3, 4, 5]
    # The job ran in a worker process, not in this one.
    assert run["pid"] != os.getpid() and started_pid(store, run_id) == run["pid"]


def test_a_failing_job_ends_failed_with_its_message(shared_store, shared_runner, table):
    run_id = new_run(shared_store, table, "crash")
    shared_runner.submit(run_id)
    run = wait_for_end(shared_store, run_id)
    assert (run["status"], run["error"]) == ("failed", "KeyError: 'missing'")
    assert "Traceback" in shared_store.events(run_id, "traceback")[0]["payload"]["traceback"]


def test_cancel_stops_a_running_job_keeping_its_epochs_and_a_queued_one_before_it_starts(
    shared_store, shared_runner, table
):
    store = shared_store
    running, waiting = new_run(store, table, "sleep_long"), new_run(store, table, "record_epochs")
    shared_runner.submit(running)
    shared_runner.submit(waiting)
    pid = started_pid(store, running)
    assert store.get_run(waiting)["status"] == "queued"

    assert shared_runner.cancel(waiting)
    assert shared_runner.cancel(running)
    run = store.get_run(running)
    assert run["status"] == "cancelled" and run["finished_at"] is not None
    assert not process_alive(pid)
    assert len(store.epochs(running)) == 1
    never_started = store.get_run(waiting)
    assert never_started["status"] == "cancelled" and never_started["started_at"] is None
    assert store.events(waiting) == []
    assert shared_runner.active_runs() == []
    assert not shared_runner.cancel(running)  # already ended


def test_cancel_stops_a_worker_with_torch_loaded_by_sigterm_not_sigkill(store, table):
    # With torch imported, the interpreter's own teardown outlasts the grace before SIGKILL.
    with JobRunner(store, preload=["backend.runs.training", "jobs_for_tests"], poll_interval=0.1) as runner:
        run_id = new_run(store, table, "sleep_long")
        runner.submit(run_id)
        pid = started_pid(store, run_id)
        assert runner.cancel(run_id)
    assert store.get_run(run_id)["status"] == "cancelled"
    assert not process_alive(pid)
    assert store.events(run_id, "worker_stopped")[0]["payload"]["exit_code"] == EXIT_TERMINATED


def test_submitting_a_run_the_runner_picked_up_at_start_does_nothing(store, table):
    run_id = new_run(store, table, "record_epochs")
    with JobRunner(store, preload=["jobs_for_tests"], poll_interval=0.1) as runner:
        runner.submit(run_id)  # already taken from the store's queue when the runner started
        runner.submit(run_id)
        assert wait_for_end(store, run_id)["status"] == "succeeded"
    assert store.epochs(run_id)["epoch"].tolist() == [1, 2, 3]


def test_cancel_kills_a_job_that_ignores_sigterm(shared_store, shared_runner, table):
    run_id = new_run(shared_store, table, "ignore_sigterm_and_sleep")
    shared_runner.submit(run_id)
    pid = started_pid(shared_store, run_id)
    assert shared_runner.cancel(run_id)
    assert shared_store.get_run(run_id)["status"] == "cancelled"
    assert not process_alive(pid)
    assert shared_store.events(run_id, "worker_stopped")[0]["payload"]["exit_code"] == -signal.SIGKILL


def test_cancel_stops_a_run_that_another_process_is_running(shared_store, shared_runner, table):
    run_id = new_run(shared_store, table, "sleep_long")
    # As the command line runs a job, or a worker left behind by a previous server.
    command = "import sys; from backend.runs import RunStore, run_job_in_process as run; run(RunStore(sys.argv[1]), sys.argv[2])"
    other = subprocess.Popen([sys.executable, "-c", command, str(shared_store.home), run_id])
    try:
        assert started_pid(shared_store, run_id) == other.pid
        assert shared_runner.cancel(run_id)
        assert other.wait(timeout=10) != 0
        assert shared_store.get_run(run_id)["status"] == "cancelled"
    finally:
        other.kill()
        other.wait()


def test_a_killed_worker_fails_its_run_and_the_next_queued_run_still_runs(shared_store, shared_runner, table):
    store = shared_store
    victim, following = new_run(store, table, "sleep_long"), new_run(store, table, "record_epochs", pause=0)
    shared_runner.submit(victim)
    shared_runner.submit(following)
    os.kill(started_pid(store, victim), signal.SIGKILL)

    run = wait_for_end(store, victim)
    assert run["status"] == "failed"
    assert "killed by signal 9 (SIGKILL)" in run["error"]
    assert store.epochs(victim)["epoch"].tolist() == [1]  # what it recorded before it died stays
    assert wait_for_end(store, following)["status"] == "succeeded"


def test_shutdown_interrupts_running_jobs_and_a_new_runner_starts_the_queued_ones(store, table):
    first = JobRunner(store, preload=["jobs_for_tests"], poll_interval=0.1)
    running, waiting = new_run(store, table, "sleep_long"), new_run(store, table, "record_epochs", pause=0)
    first.submit(running)
    first.submit(waiting)
    pid = started_pid(store, running)
    first.shutdown()
    run = store.get_run(running)
    assert run["status"] == "interrupted" and "server shut down" in run["error"]
    assert not process_alive(pid)
    assert store.get_run(waiting)["status"] == "queued"

    # As after a server restart: nobody submits the queued run again.
    with JobRunner(store, preload=["jobs_for_tests"], poll_interval=0.1):
        assert wait_for_end(store, waiting)["status"] == "succeeded"


def test_two_concurrent_jobs_write_while_the_store_is_read(store, table, make_runner):
    runner = make_runner(max_concurrent=2)
    ids = [new_run(store, table, "busy_writer") for _ in range(2)]
    for run_id in ids:
        runner.submit(run_id)
    # Read as the dashboard does while both workers write; any "database is locked" would raise here.
    while any(store.get_run(run_id)["status"] in ("queued", "running") for run_id in ids):
        for run_id in ids:
            store.epochs(run_id)
            store.events(run_id, "progress")
        store.list_runs()
        time.sleep(0.005)
    for run_id in ids:
        run = store.get_run(run_id)
        assert (run["status"], run["error"]) == ("succeeded", None)
        assert len(store.epochs(run_id)) == 150 and len(store.events(run_id, "progress")) == 150


SERVER = """
import sys, time
from backend.runs import JobRunner, RunStore
store = RunStore(sys.argv[1])
runner = JobRunner(store, preload=["jobs_for_tests"], poll_interval=0.1)
runner.submit(sys.argv[2])
time.sleep(600)
"""


def test_a_server_killed_outright_leaves_its_running_job_interrupted_and_finished_runs_intact(store, table):
    finished = new_run(store, table, "record_epochs", pause=0)
    with JobRunner(store, preload=["jobs_for_tests"], poll_interval=0.1):
        assert wait_for_end(store, finished)["status"] == "succeeded"
    finished_files = sorted(p.name for p in store.run_dir(finished).iterdir())

    running = new_run(store, table, "sleep_long")
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(store.home), running])
    try:
        worker = started_pid(store, running)
        server.kill()  # SIGKILL: the server gets no chance to stop its workers
        server.wait(timeout=10)
        run = wait_for_end(store, running, timeout=30)
    finally:
        server.kill()
    assert run["status"] == "interrupted"
    assert f"the server that started it (pid {server.pid}) stopped" in run["error"]
    assert not process_alive(worker)
    assert store.epochs(running)["epoch"].tolist() == [1]
    # A new server finds nothing to mark, and what finished before is untouched.
    assert store.mark_interrupted_runs() == []
    assert store.get_run(finished)["status"] == "succeeded"
    assert store.epochs(finished)["epoch"].tolist() == [1, 2, 3]
    assert sorted(p.name for p in store.run_dir(finished).iterdir()) == finished_files


def test_a_job_out_of_memory_fails_with_advice(shared_store, shared_runner, table):
    run_id = new_run(shared_store, table, "run_out_of_memory")
    shared_runner.submit(run_id)
    run = wait_for_end(shared_store, run_id)
    assert run["status"] == "failed"
    assert run["error"].startswith("The run ran out of memory. Use a smaller batch size or network")
