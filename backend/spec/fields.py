"""Field metadata for spec sections: how each setting is labelled, bounded and checked.

Every field of a spec section is declared with :func:`setting`, which stores a label, one sentence of help,
bounds or choices in the dataclass field's metadata. The dashboard builds its widgets from
:func:`field_specs`, and :func:`check_field` validates values against the very same metadata, so form,
help text and validation cannot drift apart.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# What a widget builder needs to know about a value's shape.
# "mapping" holds a dict whose shape its field's own ``check`` function validates.
KINDS = ("int", "float", "bool", "choice", "text", "int_list", "text_list", "mapping")


@dataclass(frozen=True)
class FieldSpec:
    """What the dashboard needs to draw one setting and explain it.

    ``min``/``max`` bound numbers (for ``int_list``: each item); ``min_items``/``max_items`` bound the
    length of a list; ``choices`` lists the allowed values of a ``choice``; ``check(value, where)`` lists
    the problems of a ``mapping``'s value. ``modalities`` / ``architectures`` name the kinds of data and
    the architectures the setting applies to (None: all), so a form can leave out what does not apply.
    """

    name: str
    label: str
    help: str
    default: Any
    kind: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    min_items: int | None = None
    max_items: int | None = None
    check: Callable[[Any, str], list[str]] | None = dataclasses.field(default=None, repr=False, compare=False)
    modalities: tuple[str, ...] | None = None
    architectures: tuple[str, ...] | None = None

    def applies_to(self, modality: str, architecture: str) -> bool:
        """Whether the setting matters for this kind of data and architecture (None: for every one)."""
        return (self.modalities is None or modality in self.modalities) and (
            self.architectures is None or architecture in self.architectures
        )


def setting(
    default: Any,
    *,
    label: str,
    help: str,
    kind: str,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[str, ...] | None = None,
    min_items: int | None = None,
    max_items: int | None = None,
    check: Callable[[Any, str], list[str]] | None = None,
    modalities: tuple[str, ...] | None = None,
    architectures: tuple[str, ...] | None = None,
) -> Any:
    """Declare a spec field with its metadata (a ``dataclasses.field``)."""
    if kind not in KINDS:
        raise TypeError(f"kind must be one of {KINDS}, got {kind!r}")
    metadata = {
        "label": label,
        "help": help,
        "kind": kind,
        "min": min,
        "max": max,
        "choices": choices,
        "min_items": min_items,
        "max_items": max_items,
        "check": check,
        "modalities": modalities,
        "architectures": architectures,
    }
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=metadata)
    if isinstance(default, dict):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def field_specs(section_cls: type) -> list[FieldSpec]:
    """The widgets' view of a spec section: one :class:`FieldSpec` per field, in declaration order."""
    specs = []
    for f in dataclasses.fields(section_cls):
        meta = f.metadata
        if f.default is not dataclasses.MISSING:
            default = f.default
        else:
            default = f.default_factory()
        specs.append(
            FieldSpec(
                name=f.name,
                label=meta["label"],
                help=meta["help"],
                default=default,
                kind=meta["kind"],
                min=meta["min"],
                max=meta["max"],
                choices=meta["choices"],
                min_items=meta["min_items"],
                max_items=meta["max_items"],
                check=meta.get("check"),
                modalities=meta.get("modalities"),
                architectures=meta.get("architectures"),
            )
        )
    return specs


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _range_text(fs: FieldSpec) -> str:
    if fs.min is not None and fs.max is not None:
        return f"between {fs.min:g} and {fs.max:g}"
    if fs.min is not None:
        return f"at least {fs.min:g}"
    return f"at most {fs.max:g}"


def _out_of_range(fs: FieldSpec, value: float) -> bool:
    return (fs.min is not None and value < fs.min) or (fs.max is not None and value > fs.max)


def check_field(fs: FieldSpec, value: Any, where: str) -> list[str]:
    """Problems of ``value`` for field ``fs``, each naming ``where`` (e.g. ``"training.lr"``)."""
    bad = f"{where} = {value!r}"
    if fs.kind == "bool":
        return [] if isinstance(value, bool) else [f"{bad}: must be true or false"]
    if fs.kind == "text":
        return [] if isinstance(value, str) else [f"{bad}: must be a text value"]
    if fs.kind == "mapping":
        if not isinstance(value, dict):
            return [f"{bad}: must be a mapping"]
        return fs.check(value, where) if fs.check is not None else []
    if fs.kind == "choice":
        if value in fs.choices:
            return []
        return [f"{bad}: must be one of {', '.join(repr(c) for c in fs.choices)}"]
    if fs.kind in ("int", "float"):
        ok_type = _is_int(value) if fs.kind == "int" else _is_number(value)
        if not ok_type:
            return [f"{bad}: must be {'a whole number' if fs.kind == 'int' else 'a finite number'}"]
        return [f"{bad}: must be {_range_text(fs)}"] if _out_of_range(fs, value) else []
    # Lists: check the container, its length, then each item.
    if not isinstance(value, list | tuple):
        return [f"{bad}: must be a list"]
    problems = []
    if (fs.min_items is not None and len(value) < fs.min_items) or (
        fs.max_items is not None and len(value) > fs.max_items
    ):
        problems.append(f"{bad}: must have between {fs.min_items} and {fs.max_items} items, not {len(value)}")
    for i, item in enumerate(value):
        item_where = f"{where}[{i}] = {item!r}"
        if fs.kind == "text_list" and not isinstance(item, str):
            problems.append(f"{item_where}: must be a text value")
        elif fs.kind == "int_list":
            if not _is_int(item):
                problems.append(f"{item_where}: must be a whole number")
            elif _out_of_range(fs, item):
                problems.append(f"{item_where}: must be {_range_text(fs)}")
    return problems
