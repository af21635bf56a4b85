"""The callback protocol: a fixed vocabulary of hooks the training loop calls.

Callbacks talk to each other only through the net's History (one callback records a key, another reads it).
"""

from __future__ import annotations

import inspect
from typing import Any


class StopTraining(Exception):
    """Raised by a callback to end training after the current epoch."""


class Callback:
    """Base class: override the hooks you need; every hook accepts ``**kwargs``.

    Parameters of a subclass are its ``__init__`` arguments, stored under the same names, so that
    ``callbacks__<name>__<param>`` on the net can set them.
    """

    def initialize(self) -> Callback:
        """Reset state before a new fit (called by ``net.initialize``)."""
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs) -> None: ...

    def on_train_end(self, net, X=None, y=None, **kwargs) -> None: ...

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs) -> None: ...

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs) -> None: ...

    def on_batch_begin(self, net, batch=None, training=None, **kwargs) -> None: ...

    def on_batch_end(self, net, batch=None, training=None, **kwargs) -> None: ...

    def on_grad_computed(self, net, named_parameters=None, batch=None, **kwargs) -> None: ...

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        names = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> Callback:
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no parameter {key!r}; its parameters are: "
                    f"{', '.join(sorted(valid)) or '(none)'}."
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_batch_begin",
    "on_batch_end",
    "on_grad_computed",
)


def overrides(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` does something on ``hook`` (lets the loop skip no-op calls on its hot path)."""
    method = getattr(type(callback), hook, None)
    return method is not None and method is not getattr(Callback, hook)
