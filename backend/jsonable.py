"""Plain Python values (for JSON) from the numpy, pandas and pathlib values that runs produce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """``value`` as a plain Python value where it has one; anything else unchanged.

    numpy scalars become numbers, arrays, Series and Index lists, paths text, sets sorted lists.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray | pd.Series | pd.Index):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return value
