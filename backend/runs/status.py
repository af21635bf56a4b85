"""The states a run goes through, and which changes between them are allowed."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """Where a run stands. Members compare equal to their strings (``RunStatus.RUNNING == "running"``)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def is_final(self) -> bool:
        """Whether the run has ended (nothing will write to it any more)."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INTERRUPTED}
)

# The statuses a run may come from, for each status it may go to. A final status is never overwritten
# by another final one: a run cancelled while its worker finishes stays cancelled. Going back to queued
# from a final status is a retry.
ALLOWED_FROM: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: FINAL_STATUSES,
    RunStatus.RUNNING: frozenset({RunStatus.QUEUED, RunStatus.RUNNING}),
    RunStatus.SUCCEEDED: frozenset({RunStatus.RUNNING}),
    RunStatus.FAILED: frozenset({RunStatus.QUEUED, RunStatus.RUNNING}),
    RunStatus.CANCELLED: frozenset({RunStatus.QUEUED, RunStatus.RUNNING}),
    RunStatus.INTERRUPTED: frozenset({RunStatus.QUEUED, RunStatus.RUNNING}),
}


def parse_status(value: str) -> RunStatus:
    """Return ``value`` as a :class:`RunStatus`, or raise ValueError naming the allowed values."""
    try:
        return RunStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in RunStatus)
        raise ValueError(f"Unknown run status {value!r}; use one of: {allowed}.") from None
