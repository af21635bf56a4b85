"""Turning what jobs record (numpy numbers and arrays included) into JSON for the run database."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from backend.jsonable import plain


def to_json(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON; numpy scalars become numbers, arrays and Series lists, paths text.

    Raises
    ------
    TypeError
        For values JSON cannot hold (a DataFrame, a model): save those in the run folder instead.
    """
    return json.dumps(value, default=_json_default, indent=indent)


def _json_default(value: Any) -> Any:
    converted = plain(value)
    if converted is value:
        raise TypeError(
            f"{type(value).__name__} values cannot be stored as JSON; store numbers, text, lists or dicts, "
            "and save anything larger as a file in the run folder."
        )
    return converted


def as_int(value: Any, name: str) -> int:
    """``value`` as an int if it is a whole number (5, np.int64(5), 5.0); TypeError naming ``name`` if not."""
    whole = isinstance(value, (int, np.integer)) or (
        isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer()
    )
    if not whole or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"An epoch record's {name!r} must be an integer, got {value!r}.")
    return int(value)
