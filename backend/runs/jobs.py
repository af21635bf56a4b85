"""Running one job in the current process: find its function, record its start, its end or its failure."""

from __future__ import annotations

import importlib
import logging
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from backend.runs.status import RunStatus
from backend.runs.storage import storage_message
from backend.runs.store import RunNotFound

if TYPE_CHECKING:
    from backend.runs.store import RunStore

logger = logging.getLogger(__name__)

JobFunction = Callable[["RunStore", str], object]


class JobInterrupted(BaseException):
    """Raised inside a job when its process is told to stop (SIGTERM); a BaseException like Ctrl-C,
    so that ``except Exception`` in a job does not swallow it."""


def resolve_job(job: str) -> JobFunction:
    """Import and return the function named ``"module:function"``.

    Raises
    ------
    ValueError
        When the name is malformed, or the module or the function cannot be loaded.
    """
    module_name, sep, function_name = job.partition(":")
    if not sep or not module_name or not function_name:
        raise ValueError(f"The job {job!r} must be written 'module:function'.")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ValueError(f"The job {job!r} could not be loaded ({type(exc).__name__}: {exc}).") from exc
    fn = getattr(module, function_name, None)
    if not callable(fn):
        raise ValueError(
            f"The job {job!r} could not be loaded: {module_name} has no function {function_name!r}."
        )
    return fn


def failure_message(exc: BaseException, home: Path | None = None) -> str:
    """What a person reads when a job fails: a user error's own message, what to do when Torchwork's home
    folder ``home`` cannot be written (a full disk), otherwise the error's type and message."""
    if home is not None:
        storage = storage_message(exc, home)
        if storage is not None:
            return storage
    text = str(exc).strip()
    if _out_of_memory(exc):
        return (
            "The run ran out of memory. Use a smaller batch size or network, fewer rows, or fewer jobs at "
            f"once, then start it again. ({type(exc).__name__}: {text or 'no details'})"
        )
    if isinstance(exc, (ValueError, TypeError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _out_of_memory(exc: BaseException) -> bool:
    # torch reports an exhausted accelerator as OutOfMemoryError, and a failed CPU allocation as a
    # RuntimeError whose message says so; Python itself raises MemoryError.
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "not enough memory" in text)


def run_job_in_process(store: RunStore, run_id: str) -> RunStatus:
    """Run the run's job here and now, recording its status; return the status it ends with.

    The run goes to ``running`` (with this process's pid), then ``succeeded`` when the job returns.
    If the job raises, the run is ``failed`` with :func:`failure_message` as its error and the
    traceback stored as a ``traceback`` event. Ctrl-C or a stop request marks it ``interrupted``
    and is raised again.

    Raises
    ------
    ValueError
        When the run does not exist, or is not queued (it already ran, or another process runs it).
    """
    run = store.get_run(run_id)
    if run is None:
        raise RunNotFound(run_id, store.home)
    if not store.set_status(run_id, RunStatus.RUNNING, pid=os.getpid()):
        status = store.get_run(run_id)["status"]
        raise ValueError(f"Run {run_id!r} is {status}; only a queued run can be started.")
    logger.info("run %s: job %s started in pid %d", run_id, run["job"], os.getpid())
    try:
        fn = resolve_job(run["job"])
        fn(store, run_id)
    except Exception as exc:
        message = failure_message(exc, store.home)
        logger.info("run %s failed: %s", run_id, message)
        store.add_event(
            run_id, "traceback", {"type": type(exc).__name__, "traceback": traceback.format_exc()}
        )
        store.set_status(run_id, RunStatus.FAILED, message)
    except BaseException as exc:
        store.set_status(run_id, RunStatus.INTERRUPTED, _interruption_reason(exc))
        raise
    else:
        store.set_status(run_id, RunStatus.SUCCEEDED)
    final = store.get_run(run_id)
    return RunStatus(final["status"]) if final is not None else RunStatus.CANCELLED


def _interruption_reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "The run was stopped with Ctrl-C."
    if isinstance(exc, SystemExit):
        return f"The job exited before it finished (exit code {exc.code})."
    return str(exc) or "The run was stopped before it finished."
