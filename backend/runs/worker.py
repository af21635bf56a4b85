"""The worker process: imports the heavy modules, waits for one run id on stdin, runs that job, exits.

Started by :class:`backend.runs.JobRunner` as ``python -m backend.runs.worker --home HOME
--preload MODULE ...``. Importing ahead (torch takes seconds) while idle is what makes a job start at
once when it is submitted; a preloaded module's ``warm_up()``, if it has one, runs then too. An empty stdin (the runner went away) ends the worker without running anything.
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from backend.runs.jobs import JobInterrupted, run_job_in_process
from backend.runs.store import RunStore

logger = logging.getLogger("backend.runs.worker")

LOG_FILE = "worker.log"
# The exit code of a worker that stopped on SIGTERM after recording it (128 + the signal's number).
EXIT_TERMINATED = 128 + signal.SIGTERM
# How often a running worker checks that the process that started it is still there.
PARENT_CHECK_S = 0.5

_stop_reason = "The run was stopped: its worker process received SIGTERM."


def main(argv: list[str] | None = None) -> int:
    """Run the worker; return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m backend.runs.worker", description=__doc__)
    parser.add_argument("--home", type=Path, required=True, help="Torchwork's home folder")
    parser.add_argument("--preload", action="append", default=[], help="a module to import while idle")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    for module in args.preload:
        try:
            warm_up = getattr(importlib.import_module(module), "warm_up", None)
            if callable(warm_up):  # first-call work (lazy imports, allocations) done while idle
                warm_up()
        except Exception as exc:  # the job will report it, if it needs that module
            logger.warning("could not preload %s: %s: %s", module, type(exc).__name__, exc)

    run_id = sys.stdin.readline().strip()
    sys.stdin.close()
    if not run_id:
        return 0
    store = RunStore(args.home)
    folder = store.run_dir(run_id)
    if not folder.is_dir():
        logger.error("run %s has no folder in %s; nothing to run", run_id, args.home)
        return 0
    _redirect_output(folder / LOG_FILE)
    signal.signal(signal.SIGTERM, _stop)
    _watch_parent(os.getppid())
    try:
        run_job_in_process(store, run_id)
    except JobInterrupted:
        _exit_now(EXIT_TERMINATED, store)
    except ValueError as exc:  # cancelled or taken before it started
        logger.info("run %s not started: %s", run_id, exc)
    return 0


def _redirect_output(path: Path) -> None:
    """Send this process's stdout and stderr (Python's and C libraries') to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # A crash in C code (a segfault in a native library) then leaves its Python stack in the log.
    faulthandler.enable()


def _exit_now(code: int, store: RunStore) -> None:
    """End this process at once, skipping the interpreter's teardown.

    With torch loaded that teardown takes seconds, longer than the runner waits after SIGTERM before it
    sends SIGKILL. Nothing is lost: every write of the run is committed, and the logs are flushed here.
    """
    store.close()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _watch_parent(parent_pid: int) -> None:
    """Stop the job, as SIGTERM would, once the process that started this worker has gone.

    A server killed outright (SIGKILL, a crash) cannot stop its workers; left alone, they would train on
    unseen and outside the next server's limit on running jobs. Polling ``getppid`` works however the
    parent died: the worker is then adopted by another process.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        global _stop_reason
        _stop_reason = (
            f"The run was interrupted: the server that started it (pid {parent_pid}) stopped while it "
            "ran. Start the run again."
        )
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _stop(signum: int, frame: object) -> None:
    # Once: a second SIGTERM must not interrupt the recording of the first.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise JobInterrupted(_stop_reason)


if __name__ == "__main__":
    sys.exit(main())
