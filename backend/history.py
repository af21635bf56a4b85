"""Per-epoch training records, indexed the way skorch's History is.

``history[-1]`` is the last epoch's dict, ``history[:, 'train_loss']`` the list of train losses,
``history[-1, 'batches', :, 'train_loss']`` the batch losses of the last epoch.
"""

from __future__ import annotations

from typing import Any


def _get_key(record: Any, key: Any) -> Any:
    if isinstance(key, tuple):
        return tuple(_get_key(record, k) for k in key)
    if not isinstance(record, dict):
        raise KeyError(f"cannot look up {key!r} in a {type(record).__name__}")
    if key not in record:
        raise KeyError(f"key {key!r} was not recorded; recorded keys: {sorted(record)}")
    return record[key]


class History(list):
    """A list of epoch records (dicts); each holds a ``batches`` list of batch records."""

    def new_epoch(self) -> None:
        self.append({"batches": []})

    def new_batch(self) -> None:
        self[-1]["batches"].append({})

    def record(self, key: str, value: Any) -> None:
        """Record ``key`` in the current epoch."""
        self[-1][key] = value

    def record_batch(self, key: str, value: Any) -> None:
        """Record ``key`` in the current batch of the current epoch."""
        self[-1]["batches"][-1][key] = value

    def to_list(self) -> list[dict]:
        return [dict(epoch) for epoch in self]

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, tuple):
            return super().__getitem__(index)
        return _index(list(self), index)


def _index(items: Any, keys: tuple) -> Any:
    """Apply a skorch-style multi-level index; a slice maps the rest of the index over each item."""
    if not keys:
        return items
    head, rest = keys[0], keys[1:]
    if isinstance(head, slice):
        selected = items[head]
        if rest and isinstance(rest[0], str):
            # As in skorch: records without the key are skipped (validation batches have no train_loss).
            keep = [item for item in selected if isinstance(item, dict) and rest[0] in item]
            if selected and not keep:
                _get_key(selected[0], rest[0])  # raises the KeyError that names the recorded keys
            selected = keep
        return [_index(item, rest) for item in selected]
    if isinstance(head, int):
        return _index(items[head], rest)
    return _index(_get_key(items, head), rest)
