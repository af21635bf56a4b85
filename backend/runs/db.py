"""Opening the SQLite database shared by the dashboard and its workers, and retrying when it is busy."""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A writer waits this long for another writer's lock inside SQLite before giving up ...
BUSY_TIMEOUT_MS = 15_000
# ... and a whole transaction is then retried this many times, so no caller sees "database is locked".
RETRIES = 5


def connect(path: Path) -> sqlite3.Connection:
    """Open ``path`` in WAL mode with a busy timeout, in autocommit mode (transactions are explicit)."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    # The busy timeout first: switching to WAL itself may have to wait for another process.
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
    # NORMAL is durable across process crashes in WAL mode; only a power cut may lose the last commits.
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def is_locked_error(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's transient "database is locked/busy" error."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def retry_locked(fn: Callable[[], T], retries: int = RETRIES) -> T:
    """Call ``fn``, calling it again after a short random pause while SQLite reports a lock."""
    for attempt in range(retries + 1):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not is_locked_error(exc) or attempt == retries:
                raise
            logger.debug("database busy (%s); retry %d", exc, attempt + 1)
            time.sleep(0.05 * (attempt + 1) + random.random() * 0.05)
    raise AssertionError("unreachable")


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Hold SQLite's write lock for the block (``BEGIN IMMEDIATE``), committing at its end.

    Taking the write lock up front, rather than upgrading a read, is what lets the busy timeout work:
    a deferred transaction that must upgrade fails at once when another writer holds the lock.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def write(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn(conn)`` in one write transaction, retried as a whole while the database is locked."""

    def attempt() -> T:
        with write_transaction(conn):
            return fn(conn)

    return retry_locked(attempt)
