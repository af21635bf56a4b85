"""Telling a full disk or an unwritable home folder from other errors, in words a person can act on."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "a file would be larger than this system allows",
    errno.EROFS: "it is on a read-only file system",
    errno.EACCES: "permission is denied",
    errno.EPERM: "permission is denied",
}
# SQLite's own words for the same conditions.
_SQLITE_REASONS = {
    "database or disk is full": "the disk is full",
    "readonly database": "it cannot be written to",
    "unable to open database file": "it cannot be written to",
    "disk i/o error": "the disk failed to write",
}


class StorageError(ValueError):
    """Torchwork's home folder cannot be written: the disk is full, or the folder is read-only."""


def storage_reason(exc: BaseException) -> str | None:
    """Why ``exc`` means the home folder cannot be written, or None when it means something else."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return next((reason for words, reason in _SQLITE_REASONS.items() if words in text), None)
    if isinstance(exc, OSError):
        return _REASONS.get(exc.errno)
    return None


def storage_message(exc: BaseException, home: Path) -> str | None:
    """The message a person reads when ``exc`` means ``home`` cannot be written; None otherwise."""
    reason = storage_reason(exc)
    if reason is None:
        return None
    return (
        f"Torchwork could not write to its home folder {home}: {reason}. Free some disk space, or set "
        "TORCHWORK_HOME to a writable folder with room, then try again."
    )
