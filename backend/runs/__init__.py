"""Runs: the SQLite run store, and the job runner that trains each run in a worker process.

    store = RunStore()          # home/"runs.db" and home/"runs"/<run_id>/
    run_id = store.create_run(spec.to_dict(), frame, name="iris", dataset="iris.csv", target="species",
                              task="classification")
    runner = JobRunner(store)   # one per server process; keeps a worker warm
    runner.submit(run_id)       # a worker calls backend.runs.training:train_run(store, run_id)
    store.get_run(run_id)["status"], store.epochs(run_id), store.events(run_id, "progress")
    runner.cancel(run_id)
"""

from backend.runs.jobs import JobInterrupted, failure_message, resolve_job, run_job_in_process
from backend.runs.runner import JobRunner
from backend.runs.status import RunStatus
from backend.runs.storage import StorageError
from backend.runs.store import RunNotFound, RunStore

__all__ = [
    "JobInterrupted",
    "JobRunner",
    "RunNotFound",
    "RunStatus",
    "RunStore",
    "StorageError",
    "failure_message",
    "resolve_job",
    "run_job_in_process",
]
