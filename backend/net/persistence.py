"""Saving a net: its weights to files (save_params / load_params) and the whole net to a pickle."""

from __future__ import annotations

import io
import json

import torch
from sklearn.utils.validation import check_is_fitted

from ..callbacks.base import HOOKS, overrides
from ..history import History


class PersistenceMixin:
    """Weights to files and back; pickles that map CUDA tensors to the CPU where no GPU is present."""

    def save_params(self, f_params=None, f_optimizer=None, f_criterion=None, f_history=None) -> None:
        """Save the module's weights (and optionally optimizer, criterion, history) to files."""
        check_is_fitted(self)
        for target, obj in ((f_params, self.module_), (f_optimizer, self.optimizer_), (f_criterion, self.criterion_)):
            if target is not None:
                torch.save(obj.state_dict(), target)
        if f_history is not None:
            with open(f_history, "w") as handle:
                json.dump(self.history_.to_list(), handle)

    def load_params(self, f_params=None, f_optimizer=None, f_criterion=None, f_history=None) -> PersistenceMixin:
        """Load what :meth:`save_params` wrote into this (initialized) net."""
        if not self._is_initialized():
            raise ValueError(
                "load_params needs an initialized net: call net.initialize() first (give module__in_features and "
                "module__out_features for zoo modules), or fit it once."
            )
        for source, obj in ((f_params, self.module_), (f_optimizer, self.optimizer_), (f_criterion, self.criterion_)):
            if source is not None:
                obj.load_state_dict(torch.load(source, map_location=self.device_, weights_only=True))
        if f_history is not None:
            with open(f_history) as handle:
                self.history_ = History(json.load(handle))
        return self

    def __getstate__(self) -> dict:
        # One torch.save for everything keeps shared references (optimizer <-> module) intact and lets
        # __setstate__ map CUDA tensors to the CPU on machines without a GPU.
        state = {k: v for k, v in self.__dict__.items() if k not in ("_hooks", "_named_parameters", "_criterion_none")}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return {"torch_state": buffer.getvalue()}

    def __setstate__(self, state: dict) -> None:
        map_location = None if torch.cuda.is_available() else "cpu"
        self.__dict__.update(torch.load(io.BytesIO(state["torch_state"]), map_location=map_location, weights_only=False))
        if hasattr(self, "device_") and self.device_.type == "cuda" and not torch.cuda.is_available():
            self.device_ = torch.device("cpu")
        if hasattr(self, "callbacks_"):
            self._hooks = {h: [getattr(cb, h) for _, cb in self.callbacks_ if overrides(cb, h)] for h in HOOKS}
