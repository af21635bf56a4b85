"""Signing artifacts: this installation's secret key, HMAC-SHA256 tags, and the record of tags it issued."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from backend.home import torchwork_home
from backend.runs import db

logger = logging.getLogger(__name__)

KEY_FILE = "signing.key"
KEY_BYTES = 32
DATABASE_NAME = "runs.db"  # the run store's database: one file holds all of the installation's state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (
    tag TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL
)
"""


def resolve_home(home: Path | None) -> Path:
    """``home`` itself, or Torchwork's home folder when it is None."""
    if home is None:
        return torchwork_home()
    home = Path(home)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


def signing_key(home: Path | None = None, *, create: bool = True) -> bytes | None:
    """The installation's secret key (``home/"signing.key"``), created with mode 0600 on first use.

    Returns None when there is no key and ``create`` is False.
    """
    path = resolve_home(home) / KEY_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
        key = _create_key(path)
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"The signing key {path} is damaged (it holds {len(key)} bytes, not {KEY_BYTES}). Delete it to "
            "create a new key; files signed with the old key will then be refused."
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("signing key %s was readable by others (mode %o); restricting it to 0600", path, mode)
        os.chmod(path, 0o600)
    return key


def _create_key(path: Path) -> bytes:
    key = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        # A hard link publishes the complete file atomically and fails if another process won the race.
        try:
            os.link(tmp, path)
        except FileExistsError:
            key = path.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    return key


def tag_of(chunks: Iterable[bytes], key: bytes) -> str:
    """The hex HMAC-SHA256 of the concatenated ``chunks`` under ``key``."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for chunk in chunks:
        mac.update(chunk)
    return mac.hexdigest()


def file_chunks(path: Path, size: int = 1 << 20) -> Iterable[bytes]:
    """The bytes of ``path``, read in pieces of ``size``."""
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk


def record_signature(tag: str, path: Path, size: int, home: Path | None = None) -> None:
    """Remember ``tag`` as issued by this installation (for the file at ``path`` of ``size`` bytes)."""
    conn = _connect(resolve_home(home))
    try:
        db.write(
            conn,
            lambda c: c.execute(
                "INSERT OR REPLACE INTO signatures (tag, path, size, created_at) VALUES (?, ?, ?, ?)",
                (tag, str(path), size, time.time()),
            ),
        )
    finally:
        conn.close()


def is_recorded(tag: str, home: Path | None = None) -> bool:
    """Whether this installation issued ``tag``."""
    conn = _connect(resolve_home(home))
    try:
        rows = db.retry_locked(
            lambda: conn.execute("SELECT 1 FROM signatures WHERE tag = ?", (tag,)).fetchall()
        )
    finally:
        conn.close()
    return bool(rows)


def _connect(home: Path):
    conn = db.connect(home / DATABASE_NAME)
    db.write(conn, lambda c: c.execute(_SCHEMA))
    return conn
