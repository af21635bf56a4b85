"""The run database's tables, created on first use and versioned for later migrations."""

from __future__ import annotations

import sqlite3

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    dataset TEXT NOT NULL,
    target TEXT NOT NULL,
    task TEXT NOT NULL,
    job TEXT NOT NULL,
    status TEXT NOT NULL,
    spec TEXT NOT NULL,
    summary TEXT,
    error TEXT,
    pid INTEGER,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
CREATE TABLE IF NOT EXISTS epochs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    fold INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS epochs_by_run ON epochs (run_id, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, kind, id);
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
"""


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables that do not exist yet; refuse a database from a newer schema."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > _SCHEMA_VERSION:
        raise RuntimeError(
            f"The run database was written by a newer Torchwork (schema {version}); upgrade Torchwork."
        )
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
