"""Runs: the SQLite run store, and the job runner that trains each run in a worker process."""

from backend.runs.jobs import JobInterrupted, failure_message, resolve_job, run_job_in_process
from backend.runs.runner import JobRunner
from backend.runs.status import RunStatus
from backend.runs.store import RunNotFound, RunStore

__all__ = [
    "JobInterrupted",
    "JobRunner",
    "RunNotFound",
    "RunStatus",
    "RunStore",
    "failure_message",
    "resolve_job",
    "run_job_in_process",
]
