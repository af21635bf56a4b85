"""Signing artifacts: this installation's secret key, HMAC-SHA256 tags, and the record of tags it issued.

A tag is the HMAC-SHA256 of a file's exact bytes under the installation's key. The record of each tag
issued (in the run store's database) also says what kind of file it is, the artifact format and the
library versions it was written with, so a file can be checked before anything in it is unpickled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
# Columns added after the first release; a database made before them gains them on first use.
_ADDED_COLUMNS = {"kind": "TEXT", "format": "INTEGER", "versions": "TEXT"}


@dataclass(frozen=True)
class SignatureRecord:
    """What this installation recorded when it signed a file.

    ``kind`` is ``"pipeline"``, ``"model_card"``, ``"script"``, ``"onnx"``, ... (``"pipeline"`` for files
    signed before kinds were recorded); ``artifact_format`` is None for files signed before formats were
    recorded; ``versions`` maps library names to the versions the file was written with.
    """

    tag: str
    path: str
    size: int
    created_at: float
    kind: str = "pipeline"
    artifact_format: int | None = None
    versions: dict[str, str] = field(default_factory=dict)


def resolve_home(home: Path | None) -> Path:
    """``home`` itself, or Torchwork's home folder when it is None."""
    if home is None:
        return torchwork_home()
    home = Path(home)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


def signing_key(home: Path | None = None, *, create: bool = True) -> bytes | None:
    """The installation's secret key (``home/"signing.key"``), created with mode 0600 on first use.

    Returns None when there is no key and ``create`` is False. The key must be a regular file: a symbolic
    link in its place is refused, since it would let whoever controls its target choose the key.

    Raises
    ------
    ValueError
        When the key file is damaged (not 32 bytes) or not a regular file; the message says how to recover.
    """
    path = resolve_home(home) / KEY_FILE
    try:
        key = _read_key(path)
    except FileNotFoundError:
        if not create:
            return None
        key = _create_key(path)
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"The signing key {path} is damaged (it holds {len(key)} bytes, not {KEY_BYTES}). Delete it to "
            "create a new key; files signed with the old key will then be refused."
        )
    return key


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"The signing key {path} cannot be opened as a plain file ({exc.strerror}); it may be a symbolic "
            "link. Replace it with the original key file, or delete it to create a new key (files signed "
            "with the old key will then be refused)."
        ) from exc
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"The signing key {path} is not a regular file; delete it to create a new key.")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            # Someone else may have read it; restrict it now, and say so where an administrator looks.
            logger.warning(
                "signing key %s was readable by others (mode %o); restricting it to 0600", path, mode
            )
            os.fchmod(f.fileno(), 0o600)
        return f.read()


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
            key = _read_key(path)
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


def record_signature(
    tag: str,
    path: Path,
    size: int,
    home: Path | None = None,
    *,
    kind: str = "pipeline",
    artifact_format: int | None = None,
    versions: dict[str, str] | None = None,
) -> None:
    """Remember ``tag`` as issued by this installation for the ``kind`` file at ``path`` of ``size`` bytes."""
    conn = _connect(resolve_home(home))
    row = (
        tag,
        str(path),
        size,
        time.time(),
        kind,
        artifact_format,
        json.dumps(versions or {}, sort_keys=True),
    )
    try:
        db.write(
            conn,
            lambda c: c.execute(
                "INSERT OR REPLACE INTO signatures (tag, path, size, created_at, kind, format, versions)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            ),
        )
    finally:
        conn.close()


def signature_record(tag: str, home: Path | None = None) -> SignatureRecord | None:
    """The record of ``tag``, or None when this installation never issued it."""
    conn = _connect(resolve_home(home))
    try:
        rows = db.retry_locked(
            lambda: conn.execute(
                "SELECT tag, path, size, created_at, kind, format, versions FROM signatures WHERE tag = ?",
                (tag,),
            ).fetchall()
        )
    finally:
        conn.close()
    if not rows:
        return None
    tag, path, size, created_at, kind, artifact_format, versions = rows[0]
    return SignatureRecord(
        tag=tag,
        path=path,
        size=int(size),
        created_at=float(created_at),
        kind=kind or "pipeline",
        artifact_format=None if artifact_format is None else int(artifact_format),
        versions=_decode_versions(versions),
    )


def is_recorded(tag: str, home: Path | None = None) -> bool:
    """Whether this installation issued ``tag``."""
    return signature_record(tag, home) is not None


def _decode_versions(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _connect(home: Path) -> sqlite3.Connection:
    conn = db.connect(home / DATABASE_NAME)
    db.write(conn, _create_schema)
    return conn


def _create_schema(conn: sqlite3.Connection) -> None:
    conn.execute(_SCHEMA)
    present = {row[1] for row in conn.execute("PRAGMA table_info(signatures)")}
    for name, sql_type in _ADDED_COLUMNS.items():
        if name not in present:
            conn.execute(f"ALTER TABLE signatures ADD COLUMN {name} {sql_type}")
