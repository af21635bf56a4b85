"""Telling whether the process that owns a running run is still alive."""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")


def process_alive(pid: int, started_before: float | None = None) -> bool:
    """Whether process ``pid`` exists, is not a zombie, and (on Linux) started before ``started_before``.

    The start-time check tells a worker from an unrelated process that was later given the same pid.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    stat = _read_stat(pid)
    if stat is None:
        return True  # no /proc: existence is all we can know
    state, start_ticks = stat
    if state in ("Z", "X"):
        return False
    if started_before is not None:
        boot = _boot_time()
        if boot is not None:
            started = boot + start_ticks / os.sysconf("SC_CLK_TCK")
            # One second of slack: boot time and clock ticks are both coarse.
            if started > started_before + 1.0:
                return False
    return True


def _read_stat(pid: int) -> tuple[str, int] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def _boot_time() -> float | None:
    try:
        for line in (_PROC / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None
