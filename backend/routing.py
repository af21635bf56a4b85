"""Prefixed parameters (``module__*``, ``optimizer__*``...) routed to the object that owns them.

The net stores them as given; at ``initialize`` each group is checked against its owner's signature so a
misspelt or unsupported name fails early with the list of names that are accepted.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

PREFIXES = ("module", "criterion", "optimizer", "iterator_train", "iterator_valid", "callbacks")


class UnknownParameterError(ValueError):
    """A prefixed parameter its owner does not accept."""


def split_prefix(key: str) -> tuple[str, str] | None:
    """``"module__hidden_units"`` -> ``("module", "hidden_units")``; None for an unprefixed name."""
    prefix, sep, rest = key.partition("__")
    if not sep or prefix not in PREFIXES or not rest:
        return None
    return prefix, rest


def params_for(prefix: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters routed to ``prefix``, with the prefix removed."""
    start = f"{prefix}__"
    return {key[len(start) :]: value for key, value in params.items() if key.startswith(start)}


def accepted_names(target: Callable) -> tuple[set[str], bool]:
    """Names ``target`` (a class or function) accepts, and whether it also takes ``**kwargs``."""
    function = target.__init__ if inspect.isclass(target) else target
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return set(), True
    names = {
        p.name
        for p in signature.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    return names, takes_any


def check_accepted(prefix: str, owner_name: str, given: Iterable[str], accepted: set[str], takes_any: bool) -> None:
    """Raise :class:`UnknownParameterError` naming each given parameter that ``owner_name`` does not accept."""
    if takes_any:
        return
    unknown = sorted(set(given) - accepted)
    if not unknown:
        return
    listed = ", ".join(sorted(accepted)) or "(none)"
    names = ", ".join(f"{prefix}__{name}" for name in unknown)
    raise UnknownParameterError(
        f"{names}: {owner_name} accepts no parameter {', '.join(repr(n) for n in unknown)}. "
        f"It accepts: {listed}."
    )


def check_prefixes(params: Iterable[str]) -> None:
    """Every extra constructor argument must carry a known prefix."""
    bad = sorted(key for key in params if split_prefix(key) is None)
    if bad:
        raise TypeError(
            f"Unknown parameter{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}. Extra parameters must "
            f"start with one of: {', '.join(p + '__' for p in PREFIXES)} (for example module__hidden_units)."
        )
