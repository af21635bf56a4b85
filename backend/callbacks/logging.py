"""Callbacks that report each epoch: the printed table and a progress hook for callers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .base import Callback

_HIDDEN = {"batches", "epoch"}


def epoch_record(record: dict) -> dict[str, Any]:
    """The epoch's record without its batch list: what a caller stores or draws."""
    return {key: value for key, value in record.items() if key != "batches"}


class PrintLog(Callback):
    """Print one table row per epoch (the net prints only when ``verbose`` is on).

    Values that improved on the epoch (``<key>_best``) are marked with ``*``.
    """

    def __init__(self, keys_ignored: tuple[str, ...] | None = None, sink: Callable | None = None, floatfmt: str = ".4f"):
        self.keys_ignored = keys_ignored
        self.sink = sink
        self.floatfmt = floatfmt

    def initialize(self) -> PrintLog:
        self.columns_ = None
        return self

    def _columns(self, record: dict) -> list[str]:
        ignored = set(self.keys_ignored or ()) | _HIDDEN
        keys = [k for k in record if k not in ignored and not k.endswith("_best") and not k.startswith("event_")]
        return ["epoch", *keys]

    def _cell(self, record: dict, key: str) -> str:
        value = record.get(key, "")
        if isinstance(value, float):
            text = format(value, self.floatfmt)
            return text + ("*" if record.get(f"{key}_best") else "")
        return str(value)

    def on_epoch_end(self, net, **kwargs) -> None:
        if not net.verbose:
            return
        write = self.sink or (lambda line: print(line, file=sys.stdout, flush=True))
        record = net.history[-1]
        if self.columns_ is None:
            self.columns_ = self._columns(record)
            self.widths_ = [max(len(c), 9) for c in self.columns_]
            write("  ".join(c.rjust(w) for c, w in zip(self.columns_, self.widths_, strict=True)))
            write("  ".join("-" * w for w in self.widths_))
        write("  ".join(self._cell(record, c).rjust(w) for c, w in zip(self.columns_, self.widths_, strict=True)))


class ProgressReporter(Callback):
    """Call ``report(record)`` with each epoch's record as soon as the epoch ends.

    ``record`` is a plain dict (``epoch``, ``train_loss``, ``valid_loss``, scores, ``dur``...), so a caller
    such as a background job can store or draw it without touching the net.
    """

    def __init__(self, report: Callable[[dict], None]):
        self.report = report

    def on_epoch_end(self, net, **kwargs) -> None:
        self.report(epoch_record(net.history[-1]))
