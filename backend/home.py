"""Where Torchwork keeps its state: the run database, run folders and the signing key."""

from __future__ import annotations

import os
from pathlib import Path


def torchwork_home() -> Path:
    """Return Torchwork's home folder, creating it (mode 0700) if needed.

    The folder is ``$TORCHWORK_HOME`` when that variable is set, otherwise ``~/.torchwork``.
    """
    raw = os.environ.get("TORCHWORK_HOME", "").strip()
    home = Path(raw).expanduser() if raw else Path.home() / ".torchwork"
    # 0700: the folder holds the signing key and every uploaded dataset.
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home
