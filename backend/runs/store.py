"""The run store: every run's spec, status, epochs, events and results in SQLite, its files in a folder."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sqlite3
import string
import threading
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd

from backend.home import torchwork_home
from backend.runs import db
from backend.runs.encoding import as_int, to_json
from backend.runs.processes import process_alive
from backend.runs.schema import create_schema
from backend.runs.snapshot import write_parquet, write_text
from backend.runs.status import ALLOWED_FROM, RunStatus, parse_status
from backend.runs.storage import StorageError, storage_message

logger = logging.getLogger(__name__)

DEFAULT_JOB = "backend.runs.training:train_run"
DATABASE_NAME = "runs.db"
DATA_FILE = "data.parquet"
SPEC_FILE = "spec.json"

# Lower-case letters and digits: ids read well in a URL (?run=k3x9q2ma) and on a command line.
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 8

_JSON_COLUMNS = ("spec", "summary")


class RunNotFound(ValueError):
    """No run with the given id exists (it may have been deleted)."""

    def __init__(self, run_id: str, home: Path):
        self.run_id = run_id
        super().__init__(
            f"No run with id {run_id!r} in {home}; it may have been deleted. Pick a run from the Runs page."
        )


class RunStore:
    """Runs, their progress and their files, in ``home/"runs.db"`` and ``home/"runs"/<run_id>/``.

    Safe to share between threads (each thread gets its own SQLite connection) and between processes
    (WAL mode, short write transactions retried while another writer holds the lock).

    Parameters
    ----------
    home : Path, optional
        Torchwork's home folder; defaults to :func:`backend.home.torchwork_home`.

    Raises
    ------
    StorageError
        When the home folder or its database cannot be written (a read-only folder, a full disk).
    """

    def __init__(self, home: Path | None = None):
        self.home = Path(home) if home is not None else torchwork_home()
        self.path = self.home / DATABASE_NAME
        self.runs_root = self.home / "runs"
        self._local = threading.local()
        try:
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
            db.write(self._conn(), create_schema)
        except (OSError, sqlite3.OperationalError) as exc:
            message = storage_message(exc, self.home)
            if message is None:
                raise
            raise StorageError(message) from exc

    def __repr__(self) -> str:
        return f"RunStore(home={str(self.home)!r})"

    # -- connections ---------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        # A forked child must not reuse its parent's connection.
        if conn is None or self._local.pid != os.getpid():
            conn = db.connect(self.path)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        """Close this thread's connection (another is opened if the store is used again)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _read(self, sql: str, params: tuple = ()) -> list[dict]:
        conn = self._conn()

        def query() -> list[dict]:
            cursor = conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        return db.retry_locked(query)

    def _write(self, sql: str, params: tuple = ()) -> int:
        """Run one statement in its own write transaction; return the number of rows it changed."""
        return db.write(self._conn(), lambda conn: conn.execute(sql, params).rowcount)

    def _require(self, run_id: str) -> dict:
        rows = self._read("SELECT id, status, pid, started_at FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RunNotFound(run_id, self.home)
        return rows[0]

    # -- runs ----------------------------------------------------------------------------------------

    def create_run(
        self,
        spec: dict,
        data: pd.DataFrame,
        *,
        name: str,
        dataset: str,
        target: str,
        task: str,
        job: str = DEFAULT_JOB,
    ) -> str:
        """Store a new run, queued, with a snapshot of its data and spec; return its id.

        The data is written to the run folder as ``data.parquet`` and the spec as ``spec.json``
        before the run's row exists, so a worker never sees a run without its files.

        Parameters
        ----------
        spec : dict
            The experiment spec as JSON-ready data.
        data : DataFrame
            The dataset the run trains on; column names must be strings.
        name, dataset, target, task : str
            What the Runs page lists: a display name, the dataset's name, the target column, the task.
        job : str
            The job function as ``"module:function"``, called as ``fn(store, run_id)``.

        Raises
        ------
        StorageError
            When the home folder cannot be written (a full disk, a read-only folder); nothing is left behind.
        """
        if not isinstance(spec, dict):
            raise TypeError(f"spec must be a dict (the spec's JSON form), got {type(spec).__name__}.")
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
        if ":" not in job:
            raise ValueError(f"job must be written 'module:function', got {job!r}.")
        spec_json = to_json(spec)
        self.runs_root.mkdir(mode=0o700, exist_ok=True)
        run_id, folder = self._new_run_folder()
        try:
            write_parquet(data, folder / DATA_FILE)
            write_text(folder / SPEC_FILE, to_json(spec, indent=2))
            self._write(
                "INSERT INTO runs (id, name, dataset, target, task, job, status, spec, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, name, dataset, target, task, job, RunStatus.QUEUED.value, spec_json, time.time()),
            )
        except BaseException as exc:
            shutil.rmtree(folder, ignore_errors=True)
            message = storage_message(exc, self.home)
            if message is not None:
                raise StorageError(message) from exc
            raise
        return run_id

    def _new_run_folder(self) -> tuple[str, Path]:
        # mkdir without exist_ok claims an id atomically, even against another process.
        while True:
            run_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
            folder = self.runs_root / run_id
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:
                continue
            return run_id, folder

    def run_dir(self, run_id: str) -> Path:
        """The run's folder (data snapshot, spec, worker log, fitted artifacts)."""
        if not run_id or any(c not in _ID_ALPHABET for c in run_id):
            raise ValueError(f"{run_id!r} is not a run id; run ids are lower-case letters and digits.")
        return self.runs_root / run_id

    def load_data(self, run_id: str) -> pd.DataFrame:
        """The dataset snapshot the run was created with."""
        path = self.run_dir(run_id) / DATA_FILE
        if not path.exists():
            raise RunNotFound(run_id, self.home)
        return pd.read_parquet(path)

    def get_run(self, run_id: str) -> dict | None:
        """All of the run's columns (spec and summary decoded), or None if there is no such run."""
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _decode_run(rows[0]) if rows else None

    def list_runs(self, status: str | None = None) -> list[dict]:
        """Every run, newest first, as :meth:`get_run` returns them; only those in ``status`` if given."""
        if status is None:
            rows = self._read("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC")
        else:
            rows = self._read(
                "SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, rowid DESC",
                (parse_status(status).value,),
            )
        return [_decode_run(row) for row in rows]

    def set_status(
        self, run_id: str, status: str, error: str | None = None, *, pid: int | None = None
    ) -> bool:
        """Move the run to ``status``; return whether it moved.

        The change is refused (False) when it would overwrite an ended run with another ending, for
        example a worker reporting success after the run was cancelled. ``running`` is accepted from
        ``queued``, or from ``running`` by the same ``pid`` (the process that runs the job); it sets
        ``started_at``. An ending status sets ``finished_at``; ``error`` is its reason. ``queued``
        after an ending is a retry and clears both.
        """
        target = parse_status(status)
        self._require(run_id)
        sources = tuple(s.value for s in ALLOWED_FROM[target])
        marks = ", ".join("?" * len(sources))
        now = time.time()
        if target is RunStatus.RUNNING:
            changed = self._write(
                "UPDATE runs SET status = ?, pid = ?, error = NULL, finished_at = NULL,"
                " started_at = CASE WHEN status = 'running' THEN started_at ELSE ? END"
                " WHERE id = ? AND (status = 'queued' OR (status = 'running' AND pid IS ?))",
                (target.value, pid, now, run_id, pid),
            )
        elif target is RunStatus.QUEUED:
            changed = self._write(
                "UPDATE runs SET status = ?, pid = NULL, error = NULL, started_at = NULL,"
                f" finished_at = NULL WHERE id = ? AND status IN ({marks})",
                (target.value, run_id, *sources),
            )
        else:
            changed = self._write(
                f"UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status IN ({marks})",
                (target.value, error, now, run_id, *sources),
            )
        return changed == 1

    def _release(self, run_id: str, pid: int) -> bool:
        """Put a run claimed by ``pid`` back in the queue (its worker never received it)."""
        changed = self._write(
            "UPDATE runs SET status = 'queued', pid = NULL, started_at = NULL"
            " WHERE id = ? AND status = 'running' AND pid = ?",
            (run_id, pid),
        )
        return changed == 1

    def set_summary(self, run_id: str, summary: dict) -> None:
        """Store the run's summary (headline scores, the pipeline file name...), replacing any before."""
        if not isinstance(summary, dict):
            raise TypeError(f"summary must be a dict, got {type(summary).__name__}.")
        self._require(run_id)
        self._write("UPDATE runs SET summary = ? WHERE id = ?", (to_json(summary), run_id))

    def delete_run(self, run_id: str) -> None:
        """Delete the run's rows and its folder. A queued or running run must be cancelled first."""
        run = self._require(run_id)
        if run["status"] in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise ValueError(f"Run {run_id!r} is {run['status']}; cancel it before deleting it.")

        def delete(conn: sqlite3.Connection) -> None:
            for table in ("epochs", "events", "results"):
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))

        db.write(self._conn(), delete)
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)

    def mark_interrupted_runs(self, *, all_running: bool = False) -> list[str]:
        """Mark ``running`` runs whose process has died as ``interrupted``; return their ids.

        Parameters
        ----------
        all_running : bool
            Mark every running run, alive or not: for a caller that knows no worker survives.
        """
        return self._mark_interrupted(all_running=all_running)

    def _mark_interrupted(self, *, all_running: bool = False, skip_pids: Collection[int] = ()) -> list[str]:
        marked = []
        for run in self._read("SELECT id, pid, started_at FROM runs WHERE status = 'running'"):
            pid = run["pid"]
            if pid in skip_pids:
                continue
            if not all_running and pid is not None and process_alive(pid, run["started_at"]):
                continue
            reason = (
                "The run was interrupted: its worker process"
                + (f" (pid {pid})" if pid is not None else "")
                + " stopped without recording a result, for example because the machine or the"
                " server restarted. Start the run again."
            )
            changed = self._write(
                "UPDATE runs SET status = 'interrupted', error = ?, finished_at = ?"
                " WHERE id = ? AND status = 'running' AND pid IS ?",
                (reason, time.time(), run["id"], pid),
            )
            if changed:
                marked.append(run["id"])
        return marked

    # -- progress ------------------------------------------------------------------------------------

    def add_epoch(self, run_id: str, record: dict) -> None:
        """Record one epoch: ``fold`` (int, -1 for the final fit), ``epoch`` (int) and any metrics."""
        if not isinstance(record, dict):
            raise TypeError(f"An epoch record must be a dict, got {type(record).__name__}.")
        missing = [key for key in ("fold", "epoch") if key not in record]
        if missing:
            raise ValueError(f"An epoch record needs 'fold' and 'epoch'; {missing} missing from {record!r}.")
        fold, epoch = as_int(record["fold"], "fold"), as_int(record["epoch"], "epoch")
        self._write(
            "INSERT INTO epochs (run_id, fold, epoch, record) VALUES (?, ?, ?, ?)",
            (run_id, fold, epoch, to_json({**record, "fold": fold, "epoch": epoch})),
        )

    def epochs(self, run_id: str) -> pd.DataFrame:
        """One row per recorded epoch in recording order, one column per key seen in the records."""
        rows = self._read("SELECT record FROM epochs WHERE run_id = ? ORDER BY id", (run_id,))
        if not rows:
            return pd.DataFrame({"fold": pd.Series(dtype="int64"), "epoch": pd.Series(dtype="int64")})
        return pd.DataFrame([json.loads(row["record"]) for row in rows])

    def add_event(self, run_id: str, kind: str, payload: dict) -> None:
        """Record an event of ``kind`` (``progress``, ``fold_score``, ``traceback``...) with its payload."""
        if not isinstance(payload, dict):
            raise TypeError(f"An event payload must be a dict, got {type(payload).__name__}.")
        self._write(
            "INSERT INTO events (run_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
            (run_id, kind, to_json(payload), time.time()),
        )

    def events(self, run_id: str, kind: str | None = None) -> list[dict]:
        """The run's events, oldest first, as dicts with ``id``, ``kind``, ``payload`` and ``created_at``."""
        if kind is None:
            rows = self._read("SELECT * FROM events WHERE run_id = ? ORDER BY id", (run_id,))
        else:
            rows = self._read(
                "SELECT * FROM events WHERE run_id = ? AND kind = ? ORDER BY id", (run_id, kind)
            )
        return [
            {
                "id": r["id"],
                "kind": r["kind"],
                "payload": json.loads(r["payload"]),
                "created_at": r["created_at"],
            }
            for r in rows
        ]

    def set_result(self, run_id: str, key: str, value: Any) -> None:
        """Store a JSON-ready result under ``key`` (numpy numbers and arrays become numbers and lists)."""
        self._require(run_id)
        self._write(
            "INSERT INTO results (run_id, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
            (run_id, key, to_json(value)),
        )

    def get_result(self, run_id: str, key: str, default: Any = None) -> Any:
        """The result stored under ``key``, or ``default`` if there is none."""
        rows = self._read("SELECT value FROM results WHERE run_id = ? AND key = ?", (run_id, key))
        return json.loads(rows[0]["value"]) if rows else default

    def results(self, run_id: str) -> dict[str, Any]:
        """Every result of the run, by key."""
        rows = self._read("SELECT key, value FROM results WHERE run_id = ? ORDER BY key", (run_id,))
        return {row["key"]: json.loads(row["value"]) for row in rows}


def _decode_run(row: dict) -> dict:
    run = dict(row)
    for column in _JSON_COLUMNS:
        if run[column] is not None:
            run[column] = json.loads(run[column])
    return run
