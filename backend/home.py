"""Where Torchwork keeps its state: the run database, run folders and the signing key."""

from __future__ import annotations

import os
from pathlib import Path


def torchwork_home() -> Path:
    """Return Torchwork's home folder, creating it (mode 0700) if needed.

    The folder is ``$TORCHWORK_HOME`` when that variable is set, otherwise ``~/.torchwork``.

    Raises
    ------
    backend.runs.StorageError
        When the folder does not exist and cannot be created (a read-only or full disk, no permission).
    """
    raw = os.environ.get("TORCHWORK_HOME", "").strip()
    home = Path(raw).expanduser() if raw else Path.home() / ".torchwork"
    try:
        # 0700: the folder holds the signing key and every uploaded dataset.
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        from backend.runs.storage import StorageError, storage_message  # runs imports this module

        message = storage_message(exc, home) or (
            f"Torchwork could not create its home folder {home} ({exc.strerror or exc}). "
            "Set TORCHWORK_HOME to a folder you can write to, then try again."
        )
        raise StorageError(message) from exc
    return home
