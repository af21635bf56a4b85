"""Resource limits: how large an upload, a table, a network or a queue of jobs this installation accepts.

Each limit is an environment variable with a safe default, read when it is needed, so a server started
with other values uses them at once. A value that is not a positive whole number is refused with its name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

#: Each limit's environment variable.
ENV = {
    "max_upload_mb": "TORCHWORK_MAX_UPLOAD_MB",
    "max_rows": "TORCHWORK_MAX_ROWS",
    "max_columns": "TORCHWORK_MAX_COLUMNS",
    "max_epochs": "TORCHWORK_MAX_EPOCHS",
    "max_parameters": "TORCHWORK_MAX_PARAMETERS",
    "max_jobs": "TORCHWORK_MAX_JOBS",
}


class LimitExceeded(ValueError):
    """An input or setting over one of this installation's limits; the message names the limit's variable."""


@dataclass(frozen=True)
class Limits:
    """This installation's resource limits (see :data:`ENV` for the variable of each).

    Attributes
    ----------
    max_upload_mb : int
        The largest table file read, in megabytes.
    max_rows, max_columns : int
        The largest table read.
    max_epochs : int
        The most epochs a run may ask for.
    max_parameters : int
        The most weights a network may have; checked before any memory is given to it.
    max_jobs : int
        How many training jobs the dashboard runs at once; the rest wait in the queue.
    """

    max_upload_mb: int = 200
    max_rows: int = 5_000_000
    max_columns: int = 10_000
    max_epochs: int = 10_000
    max_parameters: int = 25_000_000
    max_jobs: int = 1


def load_limits() -> Limits:
    """The limits set in the environment, defaults for the rest.

    Raises
    ------
    ValueError
        A variable is set to something other than a whole number of at least 1.
    """
    values = {}
    for f in fields(Limits):
        name = ENV[f.name]
        raw = os.environ.get(name, "").strip().replace("_", "")
        if not raw:
            continue
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"{name}={os.environ[name]!r} must be a whole number of at least 1, such as {f.default}.")
        values[f.name] = int(raw)
    return Limits(**values)


def over_limit(what: str, value: int, limit_name: str) -> str:
    """The sentence that says ``what`` (``value``) is over the limit ``limit_name`` and how to change it."""
    limit = getattr(load_limits(), limit_name)
    return (
        f"{what} ({value:,}) is more than this installation's limit of {limit:,}; "
        f"the limit is set by the environment variable {ENV[limit_name]}."
    )
