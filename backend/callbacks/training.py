"""Callbacks that steer training: early stopping, best-weight checkpoints, LR schedules, gradient clipping."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import torch

from .base import Callback, StopTraining


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the module's weights, kept in memory (so parallel fits never share files)."""
    return {key: value.detach().clone() for key, value in module.state_dict().items()}


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        History key to watch (needs a validation split for ``valid_*`` keys).
    patience : int
        Epochs without improvement before stopping.
    threshold : float
        Smallest change that counts as an improvement (relative or absolute, see ``threshold_mode``).
    lower_is_better : bool
        Whether a smaller value is better.
    load_best : bool
        Restore the weights of the best epoch when training ends.
    """

    def __init__(
        self,
        monitor: str = "valid_loss",
        patience: int = 5,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        lower_is_better: bool = True,
        load_best: bool = True,
    ):
        self.monitor = monitor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.lower_is_better = lower_is_better
        self.load_best = load_best

    def initialize(self) -> EarlyStopping:
        self.best_score_ = None
        self.best_epoch_ = 0
        self.misses_ = 0
        self.best_state_ = None
        return self

    def on_train_begin(self, net, **kwargs) -> None:
        if self.patience < 1:
            raise ValueError(f"EarlyStopping patience must be at least 1, got {self.patience}.")
        if self.threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {self.threshold_mode!r}.")

    def _improved(self, score: float) -> bool:
        if self.best_score_ is None:
            return True
        margin = self.threshold * abs(self.best_score_) if self.threshold_mode == "rel" else self.threshold
        if self.lower_is_better:
            return score < self.best_score_ - margin
        return score > self.best_score_ + margin

    def on_epoch_end(self, net, **kwargs) -> None:
        record = net.history[-1]
        if self.monitor not in record:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which was not recorded. Recorded keys: "
                f"{', '.join(k for k in record if k != 'batches')}. A 'valid_*' key needs a validation split "
                "(train_split)."
            )
        score = record[self.monitor]
        if self._improved(score):
            self.best_score_, self.best_epoch_, self.misses_ = score, record["epoch"], 0
            if self.load_best:
                self.best_state_ = _snapshot(net.module_)
            return
        self.misses_ += 1
        if self.misses_ >= self.patience:
            net.history.record("stopped_early", True)
            raise StopTraining(
                f"{self.monitor} did not improve for {self.patience} epochs; best was "
                f"{self.best_score_:.6g} at epoch {self.best_epoch_}."
            )

    def on_train_end(self, net, **kwargs) -> None:
        if self.load_best and self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)


class Checkpoint(Callback):
    """Keep the weights of the best epoch, in memory and optionally on disk.

    Parameters
    ----------
    monitor : str, callable or None
        A boolean History key (``"valid_loss_best"``), a callable ``monitor(net) -> bool``, or None to
        checkpoint every epoch.
    load_best : bool
        Restore the checkpointed weights when training ends.
    dirname : str or Path, optional
        Also write the weights to a file in this folder. Without it nothing touches the disk.
    f_params : str
        Base name of that file. Each fit writes its own file, ``<stem>-<process id>-<random tag><suffix>``
        (``params-4121-9f2c01ab.pt``), so nets fitted in parallel into one folder never overwrite each
        other's weights; the path of the file is ``f_params_`` once a checkpoint was written.
    """

    def __init__(
        self,
        monitor: str | Callable | None = "valid_loss_best",
        load_best: bool = False,
        dirname: str | os.PathLike | None = None,
        f_params: str = "params.pt",
    ):
        self.monitor = monitor
        self.load_best = load_best
        self.dirname = dirname
        self.f_params = f_params

    def initialize(self) -> Checkpoint:
        self.best_state_ = None
        self.best_epoch_ = None
        self.f_params_ = None
        self._fit_tag = None  # drawn at the first write: a new file for every fit
        return self

    def _target(self) -> Path:
        if getattr(self, "_fit_tag", None) is None:
            self._fit_tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        name = Path(self.f_params)
        return Path(self.dirname) / name.with_name(f"{name.stem}-{self._fit_tag}{name.suffix}")

    def _should_save(self, net) -> bool:
        if self.monitor is None:
            return True
        if callable(self.monitor):
            return bool(self.monitor(net))
        record = net.history[-1]
        if self.monitor not in record:
            raise ValueError(
                f"Checkpoint monitors {self.monitor!r}, which was not recorded. Recorded keys: "
                f"{', '.join(k for k in record if k != 'batches')}. A 'valid_*' key needs a validation split "
                "(train_split)."
            )
        return bool(record[self.monitor])

    def on_epoch_end(self, net, **kwargs) -> None:
        saved = self._should_save(net)
        net.history.record("event_cp", saved)
        if not saved:
            return
        self.best_state_ = _snapshot(net.module_)
        self.best_epoch_ = net.history[-1, "epoch"]
        if self.dirname is not None:
            target = self._target()
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            torch.save(self.best_state_, tmp)
            os.replace(tmp, target)  # readers never see a half-written file
            self.f_params_ = target

    def on_train_end(self, net, **kwargs) -> None:
        if self.load_best and self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)


class LRScheduler(Callback):
    """Change the learning rate with a ``torch.optim.lr_scheduler`` policy.

    Parameters
    ----------
    policy : str or class
        A scheduler class or its name in ``torch.optim.lr_scheduler`` (``"StepLR"``, ``"CosineAnnealingLR"``,
        ``"ReduceLROnPlateau"``...).
    monitor : str
        History key passed to ``ReduceLROnPlateau``.
    step_every : {"epoch", "batch"}
        When to step the scheduler.
    **kwargs
        Arguments of the scheduler (``step_size=10``, ``T_max=50``...).
    """

    def __init__(self, policy="StepLR", monitor: str = "valid_loss", step_every: str = "epoch", **kwargs):
        self.policy = policy
        self.monitor = monitor
        self.step_every = step_every
        self.kwargs = kwargs

    def get_params(self, deep: bool = True) -> dict:
        return {"policy": self.policy, "monitor": self.monitor, "step_every": self.step_every, **self.kwargs}

    def set_params(self, **params) -> LRScheduler:
        for key, value in params.items():
            if key in ("policy", "monitor", "step_every"):
                setattr(self, key, value)
            else:
                self.kwargs[key] = value
        return self

    def _policy_class(self):
        if not isinstance(self.policy, str):
            return self.policy
        policy = getattr(torch.optim.lr_scheduler, self.policy, None)
        if policy is None:
            raise ValueError(
                f"Unknown LR policy {self.policy!r}; use a class from torch.optim.lr_scheduler, e.g. "
                "'StepLR', 'CosineAnnealingLR', 'ReduceLROnPlateau'."
            )
        return policy

    def on_train_begin(self, net, **kwargs) -> None:
        if self.step_every not in ("epoch", "batch"):
            raise ValueError(f"step_every must be 'epoch' or 'batch', got {self.step_every!r}.")
        self.scheduler_ = self._policy_class()(net.optimizer_, **self.kwargs)

    def _is_plateau(self) -> bool:
        return isinstance(self.scheduler_, torch.optim.lr_scheduler.ReduceLROnPlateau)

    def on_epoch_end(self, net, **kwargs) -> None:
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])
        if self.step_every != "epoch":
            return
        if self._is_plateau():
            self.scheduler_.step(net.history[-1, self.monitor])
        else:
            self.scheduler_.step()

    def on_batch_end(self, net, training=None, **kwargs) -> None:
        if training and self.step_every == "batch" and not self._is_plateau():
            self.scheduler_.step()


class GradientNormClipping(Callback):
    """Clip the gradient norm after each backward pass (``torch.nn.utils.clip_grad_norm_``)."""

    def __init__(self, gradient_clip_value: float | None = None, gradient_clip_norm_type: float = 2):
        self.gradient_clip_value = gradient_clip_value
        self.gradient_clip_norm_type = gradient_clip_norm_type

    def on_grad_computed(self, net, named_parameters=None, **kwargs) -> None:
        if self.gradient_clip_value is None:
            return
        params = [p for _, p in named_parameters]
        torch.nn.utils.clip_grad_norm_(params, self.gradient_clip_value, norm_type=self.gradient_clip_norm_type)
