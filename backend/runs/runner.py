"""The job runner: starts queued runs in worker processes, cancels them, and notices workers that die."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import backend
from backend.runs.processes import process_alive
from backend.runs.status import RunStatus
from backend.runs.store import DEFAULT_JOB, RunNotFound, RunStore

logger = logging.getLogger(__name__)

# How long a worker has to stop after SIGTERM before it is killed.
STOP_GRACE_S = 1.0
# How often the runner looks for runs of other processes whose worker died.
ORPHAN_CHECK_S = 5.0
# The shortest pause between two idle workers, so a worker that cannot start is not restarted in a loop.
IDLE_RESPAWN_S = 5.0
WORKERS_LOG = "workers.log"
_REPO_ROOT = Path(backend.__file__).resolve().parent.parent


class JobRunner:
    """Runs queued runs in worker processes, at most ``max_concurrent`` at a time.

    One runner per server process. It keeps one idle worker that has already imported the job modules,
    so a submitted run starts at once; a background thread starts the next queued runs when workers
    finish, and marks a run ``failed`` with the reason when its worker dies without recording a result.
    Runs still queued in the store when the runner starts (from before a restart) are started too.

    Parameters
    ----------
    store : RunStore
        Where runs live; the workers open the same home folder.
    max_concurrent : int
        How many jobs may run at once.
    preload : iterable of str
        Modules the idle worker imports ahead; the modules of submitted jobs are added to it.
    poll_interval : float
        Seconds between two looks at the workers.
    """

    def __init__(
        self,
        store: RunStore,
        max_concurrent: int = 1,
        *,
        preload: Iterable[str] = (DEFAULT_JOB.partition(":")[0],),
        poll_interval: float = 0.2,
    ):
        if int(max_concurrent) != max_concurrent or max_concurrent < 1:
            raise ValueError(f"max_concurrent must be a whole number of at least 1, got {max_concurrent!r}.")
        self.store = store
        self.max_concurrent = int(max_concurrent)
        self.poll_interval = poll_interval
        self._preload = list(dict.fromkeys(preload))
        self._lock = threading.RLock()
        self._pending: deque[str] = deque()
        self._active: dict[str, subprocess.Popen] = {}
        self._idle: subprocess.Popen | None = None
        self._respawn_after = 0.0
        self._stopped = threading.Event()

        self.store.mark_interrupted_runs()
        # Oldest first: the queue is first come, first served.
        for run in reversed(self.store.list_runs(status=RunStatus.QUEUED)):
            self._learn_job(run["job"])
            self._pending.append(run["id"])
        with self._lock:
            self._fill()
            self._ensure_idle()
        self._thread = threading.Thread(target=self._loop, name="torchwork-job-runner", daemon=True)
        self._thread.start()

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- public --------------------------------------------------------------------------------------

    def submit(self, run_id: str) -> None:
        """Queue a run (created with :meth:`RunStore.create_run`); it starts as soon as a slot is free.

        Submitting a run this runner already holds (queued or running) does nothing.

        Raises
        ------
        ValueError
            When the run does not exist or is not queued.
        """
        with self._lock:
            if self._stopped.is_set():
                raise RuntimeError("This job runner has been shut down; create a new one.")
            if run_id in self._pending or run_id in self._active:
                return  # already held: queued from the store when this runner started, or submitted twice
            run = self.store.get_run(run_id)
            if run is None:
                raise RunNotFound(run_id, self.store.home)
            if run["status"] != RunStatus.QUEUED:
                raise ValueError(f"Run {run_id!r} is {run['status']}; only a queued run can be started.")
            self._learn_job(run["job"])
            self._pending.append(run_id)
            self._fill()
            self._ensure_idle()

    def cancel(self, run_id: str) -> bool:
        """Cancel a queued or running run; return False if it had already ended.

        A running run's worker gets SIGTERM, then SIGKILL if it has not stopped after about a second;
        this call returns once it has stopped. Epochs and events recorded so far are kept.
        """
        run = self.store.get_run(run_id)
        if run is None:
            raise RunNotFound(run_id, self.store.home)
        with self._lock:
            if run_id in self._pending:
                self._pending.remove(run_id)
            cancelled = self.store.set_status(run_id, RunStatus.CANCELLED)
            proc = self._active.get(run_id)
        if not cancelled:
            return False
        if proc is not None:
            _stop_process(proc)
            # How the worker ended says whether it stopped when asked (SIGTERM) or had to be killed.
            self.store.add_event(run_id, "worker_stopped", {"exit_code": proc.returncode})
            with self._lock:
                self._reap()
        elif (
            run["status"] == RunStatus.RUNNING
            and run["pid"]
            and run["pid"] != os.getpid()
            and process_alive(run["pid"], run["started_at"])
        ):
            # Run by a worker of another runner (a previous server, the command line): stop it by pid.
            # The start-time check above makes sure that pid was not since given to another process.
            _stop_pid(run["pid"])
        logger.info("run %s cancelled", run_id)
        return True

    def active_runs(self) -> list[str]:
        """The ids of the runs this runner's workers are running now."""
        with self._lock:
            return list(self._active)

    def shutdown(self, stop_running: bool = True) -> None:
        """Stop starting runs and stop the idle worker.

        Runs still queued stay queued in the store, for the next runner. Running jobs are stopped and
        marked ``interrupted`` unless ``stop_running`` is False, in which case they run on to their end.
        """
        self._stopped.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
        with self._lock:
            self._pending.clear()
            idle, self._idle = self._idle, None
            active = dict(self._active) if stop_running else {}
        if idle is not None:
            _close_idle(idle)
        for run_id, proc in active.items():
            self.store.set_status(
                run_id, RunStatus.INTERRUPTED, "The run was stopped because the Torchwork server shut down."
            )
            _stop_process(proc)
        with self._lock:
            self._reap()

    # -- the loop ------------------------------------------------------------------------------------

    def _loop(self) -> None:
        last_orphan_check = time.monotonic()
        while not self._stopped.wait(self.poll_interval):
            try:
                with self._lock:
                    self._reap()
                    self._fill()
                    self._ensure_idle()
                    own_pids = {proc.pid for proc in self._active.values()}
                if time.monotonic() - last_orphan_check > ORPHAN_CHECK_S:
                    last_orphan_check = time.monotonic()
                    self.store._mark_interrupted(skip_pids=own_pids)
            except Exception:  # the loop must outlive a bad moment (a full disk, a deleted home)
                logger.exception("job runner: unexpected error; carrying on")

    def _learn_job(self, job: str) -> None:
        module = job.partition(":")[0]
        if module and module not in self._preload:
            self._preload.append(module)

    def _fill(self) -> None:
        """Hand queued runs to workers while there are free slots. Call with the lock held."""
        while self._pending and len(self._active) < self.max_concurrent and not self._stopped.is_set():
            run_id = self._pending.popleft()
            proc = self._take_idle()
            try:
                # The claim is atomic: a run cancelled or started elsewhere meanwhile is skipped.
                claimed = self.store.set_status(run_id, RunStatus.RUNNING, pid=proc.pid)
            except RunNotFound:
                claimed = False
            if not claimed:
                self._give_back_idle(proc)
                continue
            try:
                proc.stdin.write(f"{run_id}\n".encode())
                proc.stdin.close()
            except OSError:  # the worker died while idle: put the run back and try another worker
                logger.warning("worker %d died before taking run %s; retrying", proc.pid, run_id)
                self.store._release(run_id, proc.pid)
                self._pending.appendleft(run_id)
                _stop_process(proc)
                continue
            self._active[run_id] = proc
            logger.info("run %s handed to worker %d", run_id, proc.pid)

    def _take_idle(self) -> subprocess.Popen:
        proc, self._idle = self._idle, None
        if proc is not None and proc.poll() is None:
            return proc
        return self._spawn()

    def _give_back_idle(self, proc: subprocess.Popen) -> None:
        if self._idle is None:
            self._idle = proc
        else:
            _close_idle(proc)

    def _ensure_idle(self) -> None:
        if self._stopped.is_set():
            return
        if self._idle is not None and self._idle.poll() is not None:
            logger.warning("idle worker %d exited with code %s", self._idle.pid, self._idle.returncode)
            self._idle = None
            self._respawn_after = time.monotonic() + IDLE_RESPAWN_S
        if self._idle is None and time.monotonic() >= self._respawn_after:
            self._idle = self._spawn()

    def _spawn(self) -> subprocess.Popen:
        command = [sys.executable, "-m", "backend.runs.worker", "--home", str(self.store.home)]
        for module in self._preload:
            command += ["--preload", module]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(_REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        )
        if self.max_concurrent > 1 and "OMP_NUM_THREADS" not in env:
            # Concurrent jobs share the cores; each one using all of them would slow every one down.
            env["OMP_NUM_THREADS"] = str(max(1, _cpu_count() // self.max_concurrent))
        with open(self.store.home / WORKERS_LOG, "ab") as log:
            # A session of its own: Ctrl-C on the server does not reach the jobs, and stopping a worker
            # stops the processes its job started (its process group).
            return subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=log, stderr=log, env=env, start_new_session=True
            )

    def _reap(self) -> None:
        """Forget workers that exited; fail their runs if they died without recording an ending."""
        for run_id, proc in list(self._active.items()):
            code = proc.poll()
            if code is None:
                continue
            del self._active[run_id]
            run = self.store.get_run(run_id)
            if run is None or run["status"] != RunStatus.RUNNING or run["pid"] != proc.pid:
                continue
            reason = _death_reason(code)
            tail = _log_tail(self.store.run_dir(run_id) / "worker.log")
            if tail:
                self.store.add_event(run_id, "worker_log", {"tail": tail})
            self.store.set_status(run_id, RunStatus.FAILED, reason)
            logger.warning("run %s failed: %s", run_id, reason)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _death_reason(code: int) -> str:
    if code >= 0:
        return f"The worker process exited with code {code} before the run finished; see worker.log in the run folder."
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = "unknown signal"
    # SIGKILL from nobody in Torchwork is most often the kernel's out-of-memory killer.
    hint = " (perhaps the machine ran out of memory)" if -code == signal.SIGKILL else ""
    return f"The worker process was killed by signal {-code} ({name}) before the run finished{hint}."


def _log_tail(path: Path, size: int = 4000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - size))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _close_idle(proc: subprocess.Popen) -> None:
    """End an idle worker. It holds no run, so it is simply terminated, even halfway through its imports."""
    try:
        proc.stdin.close()
    except OSError:
        pass
    _stop_process(proc)


def _stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM the worker's process group, SIGKILL it after the grace period; wait until it is gone."""
    for sig, wait_s in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 10.0)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _stop_pid(pid: int) -> None:
    """Stop a process that is not our child: SIGTERM, then SIGKILL after the grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.05)
