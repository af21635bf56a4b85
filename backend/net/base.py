"""NeuralNet: a torch module trained and used through scikit-learn's estimator interface.

The constructor follows skorch: ``module``, ``criterion``, ``optimizer``, ``lr``, ``max_epochs``,
``batch_size``, ``train_split``, ``callbacks``, ``warm_start``, ``verbose``, ``device``, plus
``random_state`` and prefixed parameters (``module__*``, ``optimizer__*``, ``criterion__*``,
``iterator_train__*``, ``iterator_valid__*``, ``callbacks__<name>__*``) routed to their owner.
"""

from __future__ import annotations

import contextlib
import copy
import time
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..callbacks import Callback, PrintLog, StopTraining
from ..callbacks.base import HOOKS, overrides
from ..dataset import Split, ValidSplit, iterate_batches, iterator_param_names
from ..history import History
from ..limits import ENV as LIMIT_ENV
from ..limits import LimitExceeded, load_limits
from ..routing import accepted_names, check_accepted, check_prefixes, params_for, split_prefix
from .inputs import to_input_tensor, to_weight_tensor, validate_X, validate_X_y
from .persistence import PersistenceMixin
from .sizes import infer_module_sizes


class TrainingDivergedError(ValueError):
    """The loss stopped being a finite number."""


class ModelTooLargeError(LimitExceeded):
    """The network would have more weights than this installation allows (``TORCHWORK_MAX_PARAMETERS``)."""


# Bytes each weight costs in training: itself, its gradient and two optimiser moments, in float32.
_TRAINING_BYTES_PER_PARAMETER = 16


def _check_size(module_class: type, kwargs: dict) -> None:
    """Refuse a module with too many parameters before any memory is given to it.

    The module is built on torch's "meta" device, which records shapes and allocates nothing.
    """
    try:
        with torch.device("meta"):
            probe = module_class(**kwargs)
        n = sum(p.numel() for p in probe.parameters() if not isinstance(p, torch.nn.parameter.UninitializedParameter))
    except Exception:  # a module that cannot be built on the meta device: the real build reports its errors
        return
    limit = load_limits().max_parameters
    if n > limit:
        gigabytes = n * _TRAINING_BYTES_PER_PARAMETER / 1e9
        raise ModelTooLargeError(
            f"The network would have {n:,} parameters (about {gigabytes:.1f} GB to train), more than this "
            f"installation's limit of {limit:,} (set by {LIMIT_ENV['max_parameters']}). Make it smaller: fewer "
            "or narrower hidden layers, or fewer input columns."
        )


def resolve_device(device) -> torch.device:
    """``"auto"`` (or None) is CUDA when present, else the CPU."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class NeuralNet(PersistenceMixin, BaseEstimator):
    """Train a torch module with ``fit`` and use it with ``predict`` / ``predict_proba``.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        The network. A class is instantiated at ``initialize`` with the ``module__*`` parameters;
        zoo modules (``backend.modules``) get their input/output sizes from the data.
    criterion : torch loss class
        Instantiated with the ``criterion__*`` parameters.
    optimizer : torch.optim.Optimizer class
        Instantiated with the module's parameters, ``lr`` and the ``optimizer__*`` parameters.
    lr : float
        Learning rate.
    max_epochs : int
        Passes over the training data per ``fit``.
    batch_size : int
        Rows per batch (``-1``: all at once); ``iterator_train__batch_size`` / ``iterator_valid__batch_size``
        override it per side.
    train_split : float, ValidSplit, callable or None
        How to hold out validation data: a fraction, a :class:`ValidSplit`, a callable
        ``(n_samples, y, classifier) -> (train_idx, valid_idx)``, or None for no validation.
    callbacks : list of Callback or (name, Callback)
        Run on the loop's hooks after the built-in ones.
    warm_start : bool
        Keep training the fitted module on a new ``fit`` instead of starting over.
    verbose : int
        Print the per-epoch table when non-zero.
    device : str or torch.device
        ``"auto"`` picks CUDA when present.
    random_state : int, optional
        Seed for weights, shuffling, dropout and the validation split: same seed and data, same predictions.
    """

    _parameter_constraints: dict = {
        "module": [type, HasMethods(["forward"])],
        "criterion": [type, HasMethods(["forward"])],
        "optimizer": [type, callable],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],
        "train_split": [None, Interval(Real, 0, 1, closed="neither"), HasMethods(["__call__"])],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "device": [StrOptions({"auto", "cpu", "cuda", "mps"}), str, torch.device, None],
        "random_state": ["random_state"],
    }

    _classifier = False

    def __init__(
        self,
        module,
        criterion,
        optimizer=torch.optim.Adam,
        lr: float = 0.01,
        max_epochs: int = 10,
        batch_size: int = 128,
        train_split=0.2,
        callbacks=None,
        warm_start: bool = False,
        verbose: int = 1,
        device="auto",
        random_state=None,
        **kwargs,
    ):
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.train_split = train_split
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.verbose = verbose
        self.device = device
        self.random_state = random_state
        self._routed = dict(kwargs)

    # ------------------------------------------------------------------ parameters

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=deep)
        params.update(self._routed)
        return params

    def set_params(self, **params: Any) -> NeuralNet:
        plain = {}
        for key, value in params.items():
            if split_prefix(key) is not None:
                self._routed[key] = value
            else:
                plain[key] = value
        if plain:
            super().set_params(**plain)
        return self

    @property
    def history(self) -> History:
        """Per-epoch records of the last fit (``net.history[:, 'train_loss']``)."""
        check_is_fitted(self, "history_")
        return self.history_

    # ------------------------------------------------------------------ initialization

    def _seed(self) -> int | None:
        if self.random_state is None:
            return None
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    @contextlib.contextmanager
    def _rng_scope(self, offset: int):
        """Run under a private torch RNG seeded from ``random_state``; the global state is left untouched."""
        seed = self._seed()
        if seed is None:
            yield
            return
        devices = list(range(torch.cuda.device_count())) if self.device_.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed + offset)
            yield

    def _check_routed(self) -> None:
        check_prefixes(self._routed)
        iterator_names = iterator_param_names()
        for prefix in ("iterator_train", "iterator_valid"):
            check_accepted(prefix, "the batch iterator", params_for(prefix, self._routed), iterator_names, False)
        if params_for("module", self._routed) and not isinstance(self.module, type):
            raise TypeError(
                "module__* parameters need module to be a class (e.g. module=MLP), not an instance: "
                f"got an instance of {type(self.module).__name__}."
            )

    def _build_module(self, inferred: dict) -> torch.nn.Module:
        if not isinstance(self.module, type):
            return self.module
        given = params_for("module", self._routed)
        names, takes_any = accepted_names(self.module)
        check_accepted("module", f"{self.module.__name__}.__init__()", given, names, takes_any)
        _check_size(self.module, {**inferred, **given})
        return self.module(**{**inferred, **given})

    def _build_criterion(self) -> torch.nn.Module:
        given = params_for("criterion", self._routed)
        given.update(self._criterion_defaults())
        names, takes_any = accepted_names(self.criterion)
        check_accepted("criterion", f"{getattr(self.criterion, '__name__', self.criterion)}", given, names, takes_any)
        return self.criterion(**given) if isinstance(self.criterion, type) else self.criterion

    def _criterion_defaults(self) -> dict:
        """Extra criterion arguments a subclass derives from the data (class weights)."""
        return {}

    def _build_optimizer(self) -> torch.optim.Optimizer:
        given = params_for("optimizer", self._routed)
        names, takes_any = accepted_names(self.optimizer)
        check_accepted("optimizer", getattr(self.optimizer, "__name__", "the optimizer"), given, names, takes_any)
        return self.optimizer(self.module_.parameters(), lr=self.lr, **given)

    def _default_callbacks(self) -> list[tuple[str, Callback]]:
        from ..callbacks import BestMarker

        keys = {"train_loss": True, "valid_loss": True}
        if self._classifier:
            keys["valid_acc"] = False
        return [("best", BestMarker(keys))]

    def _build_callbacks(self) -> list[tuple[str, Callback]]:
        named = list(self._default_callbacks())
        for item in self.callbacks or []:
            name, callback = item if isinstance(item, tuple) else (type(item).__name__, item)
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be Callback instances or (name, Callback) pairs, got {item!r}.")
            named.append((name, callback))
        named.append(("print_log", PrintLog()))
        names = [name for name, _ in named]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(
                f"Two callbacks share the name {', '.join(map(repr, duplicated))}; pass them as (name, callback) "
                "pairs with distinct names."
            )
        routed = params_for("callbacks", self._routed)
        removed = {key for key, value in routed.items() if "__" not in key and value is None}
        unknown = sorted({key.split("__")[0] for key in routed} - set(names))
        if unknown:
            raise ValueError(
                f"callbacks__{unknown[0]}: there is no callback named {unknown[0]!r}. Callback names: {', '.join(names)}."
            )
        result = []
        for name, callback in named:
            if name in removed:
                continue
            own = {key.split("__", 1)[1]: v for key, v in routed.items() if key.startswith(f"{name}__")}
            if own:
                callback.set_params(**own)
            result.append((name, callback.initialize()))
        return result

    def initialize(self) -> NeuralNet:
        """Build the callbacks, criterion, module and optimizer; forget any earlier training."""
        self._check_routed()
        self.device_ = resolve_device(self.device)
        self.callbacks_ = self._build_callbacks()
        self._hooks = {hook: [getattr(cb, hook) for _, cb in self.callbacks_ if overrides(cb, hook)] for hook in HOOKS}
        self.criterion_ = self._build_criterion().to(self.device_)
        self._criterion_none = self._unreduced_copy(self.criterion_)
        with self._rng_scope(offset=0):
            self.module_ = self._build_module(getattr(self, "_inferred_sizes", {})).to(self.device_)
        self.integer_input_ = any(
            isinstance(m, torch.nn.Embedding | torch.nn.EmbeddingBag) for m in self.module_.modules()
        )
        self.optimizer_ = self._build_optimizer()
        self.history_ = History()
        return self

    def _is_initialized(self) -> bool:
        return hasattr(self, "module_") and hasattr(self, "history_")

    # ------------------------------------------------------------------ data

    def _encode_y(self, y, reset: bool, classes=None):
        """Targets as the criterion wants them (a subclass encodes labels); returns ``(tensor, n_outputs)``."""
        if y is None:
            return None, None
        y = np.asarray(y)
        tensor = torch.as_tensor(y, dtype=torch.float32 if y.dtype.kind == "f" else None)
        return tensor, (y.shape[1] if y.ndim == 2 else 1)

    def _prepare(self, X, y, sample_weight, reset: bool, classes=None) -> Split:
        X, y = validate_X_y(self, X, y, reset=reset, regression=not self._classifier)
        y_tensor, n_outputs = self._encode_y(y, reset=reset, classes=classes)
        if reset:
            self._inferred_sizes = infer_module_sizes(self.module, params_for("module", self._routed), X, n_outputs)
        return Split(X=X, y=y_tensor, y_original=y, sample_weight=to_weight_tensor(sample_weight, len(X), "cpu"))

    def _to_device(self, split: Split) -> Split:
        """In-memory data moves to the device once; a Dataset is moved batch by batch by its loader."""
        if not isinstance(split.X, torch.Tensor | np.ndarray):
            return split
        device = self.device_
        return Split(
            X=to_input_tensor(split.X, self.integer_input_, device),
            y=None if split.y is None else split.y.to(device),
            y_original=split.y_original,
            sample_weight=None if split.sample_weight is None else split.sample_weight.to(device),
        )

    def _split(self, data: Split) -> tuple[Split, Split | None]:
        if self.train_split is None:
            return data, None
        splitter = self.train_split
        if isinstance(splitter, Real):
            splitter = ValidSplit(splitter, random_state=self._seed())
        elif isinstance(splitter, ValidSplit) and splitter.random_state is None and self.random_state is not None:
            splitter = copy.copy(splitter)  # seeded by the net; the user's object stays as given
            splitter.random_state = self._seed()
        stratify = data.y.cpu().numpy() if self._classifier and data.y is not None else None
        train_idx, valid_idx = splitter(len(data), stratify, classifier=self._classifier)
        return data.subset(train_idx), data.subset(valid_idx)

    # ------------------------------------------------------------------ training

    def fit(self, X, y=None, sample_weight=None, **fit_params) -> NeuralNet:
        """Initialize (unless ``warm_start`` and already fitted) and train for ``max_epochs`` epochs."""
        if not (self.warm_start and self._is_initialized()):
            self._validate_params()
            data = self._prepare(X, y, sample_weight, reset=True)
            self.initialize()
        else:
            data = self._prepare(X, y, sample_weight, reset=False)
        return self._fit_loop(data, self.max_epochs)

    def partial_fit(self, X, y=None, classes=None, sample_weight=None) -> NeuralNet:
        """Train for ``max_epochs`` more epochs without re-initializing (initializes on the first call)."""
        if not self._is_initialized():
            self._validate_params()
            data = self._prepare(X, y, sample_weight, reset=True, classes=classes)
            self.initialize()
        else:
            data = self._prepare(X, y, sample_weight, reset=False)
        return self._fit_loop(data, self.max_epochs)

    def _notify(self, hook: str, **kwargs) -> None:
        stop = None
        for method in self._hooks[hook]:
            try:
                method(self, **kwargs)
            except StopTraining as exc:  # let every callback see the epoch before stopping
                stop = exc
        if stop is not None:
            raise stop

    def _iterator_settings(self, side: str) -> tuple[int, bool, bool, dict]:
        params = params_for(f"iterator_{side}", self._routed)
        batch_size = params.get("batch_size", self.batch_size)
        shuffle = params.get("shuffle", side == "train")
        drop_last = params.get("drop_last", False)
        return batch_size, shuffle, drop_last, params

    def _fit_loop(self, data: Split, epochs: int) -> NeuralNet:
        train, valid = self._split(self._to_device(data))
        self._named_parameters = list(self.module_.named_parameters())
        with self._rng_scope(offset=len(self.history_) + 1):
            generator = torch.Generator()
            generator.manual_seed(int(torch.randint(0, 2**62, (1,)).item()))
            self._notify("on_train_begin", X=train.X, y=train.y)
            try:
                for _ in range(epochs):
                    self._run_epoch(train, valid, generator)
            except StopTraining:
                pass
            except KeyboardInterrupt:  # as in skorch: Ctrl-C ends training and keeps the module
                pass
            self._notify("on_train_end", X=train.X, y=train.y)
        return self

    def _run_epoch(self, train: Split, valid: Split | None, generator: torch.Generator) -> None:
        history = self.history_
        history.new_epoch()
        history.record("epoch", len(history))
        self._notify("on_epoch_begin", dataset_train=train, dataset_valid=valid)
        started = time.perf_counter()
        train_loss, _ = self._run_pass(train, training=True, generator=generator)
        history.record("train_loss", train_loss)
        if valid is not None:
            valid_loss, n_correct = self._run_pass(valid, training=False, generator=None)
            history.record("valid_loss", valid_loss)
            if n_correct is not None:
                history.record("valid_acc", n_correct / len(valid))
        history.record("dur", time.perf_counter() - started)
        self._check_finite(history[-1])
        self._notify("on_epoch_end", dataset_train=train, dataset_valid=valid)

    def _check_finite(self, record: dict) -> None:
        for key in ("train_loss", "valid_loss"):
            if key in record and not np.isfinite(record[key]):
                raise TrainingDivergedError(
                    f"Training diverged: {key} became {record[key]} at epoch {record['epoch']} (lr={self.lr}). "
                    f"Lower the learning rate (try lr={self.lr / 10:g}), scale the inputs (StandardScaler), or clip "
                    "gradients (GradientNormClipping)."
                )

    def _run_pass(self, split: Split, training: bool, generator) -> tuple[float, int | None]:
        """One pass over ``split``; returns the sample-weighted mean loss and, for classifiers, the hits."""
        side = "train" if training else "valid"
        batch_size, shuffle, drop_last, loader_params = self._iterator_settings(side)
        self.module_.train(training)
        losses, sizes, weight_sums, hits = [], [], [], []
        begin, end = self._hooks["on_batch_begin"], self._hooks["on_batch_end"]
        for batch in iterate_batches(
            split, batch_size, shuffle and training, generator, drop_last and training, loader_params, self.device_
        ):
            self.history_.new_batch()
            for method in begin:
                method(self, batch=batch, training=training)
            if training:
                loss, y_pred = self.train_step(batch)
            else:
                loss, y_pred = self.validation_step(batch)
                correct = self._count_correct(y_pred, batch[1])
                if correct is not None:
                    hits.append(correct)
            losses.append(loss.detach())
            sizes.append(len(batch[0]))
            if batch[2] is not None:
                weight_sums.append(batch[2].detach().sum())
            for method in end:
                method(self, batch=batch, training=training, loss=loss, y_pred=y_pred)
        if not losses:
            raise ValueError(
                f"No {side} batch was formed from {len(split)} samples (batch_size={batch_size}, drop_last={drop_last})."
            )
        values = torch.stack(losses).float().cpu().tolist()  # one transfer per epoch, not one per batch
        for record, value, size in zip(self.history_[-1]["batches"][-len(values) :], values, sizes, strict=True):
            record[f"{side}_loss"] = value
            record[f"{side}_batch_size"] = size
        if weight_sums and len(weight_sums) == len(values):
            # Each batch's loss is its weighted mean: combined by weight, they give the split's weighted mean.
            totals = torch.stack(weight_sums).float().cpu().numpy()
            mean = float(np.dot(values, totals) / totals.sum()) if totals.sum() > 0 else 0.0
        else:
            mean = float(np.average(values, weights=sizes))
        return mean, (int(torch.stack(hits).sum()) if hits else None)

    def train_step(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward, loss, backward and optimizer step on one batch; returns ``(loss, y_pred)``."""
        Xb, yb, wb = batch
        self.optimizer_.zero_grad(set_to_none=True)
        y_pred = self.infer(Xb)
        loss = self.get_loss(y_pred, yb, X=Xb, training=True, sample_weight=wb)
        loss.backward()
        for method in self._hooks["on_grad_computed"]:
            method(self, named_parameters=self._named_parameters, batch=batch)
        self.optimizer_.step()
        return loss, y_pred

    def validation_step(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        Xb, yb, wb = batch
        with torch.no_grad():
            y_pred = self.infer(Xb)
            loss = self.get_loss(y_pred, yb, X=Xb, training=False, sample_weight=wb)
        return loss, y_pred

    def infer(self, X: torch.Tensor) -> torch.Tensor:
        """The module's forward pass (override for modules with several inputs)."""
        return self.module_(X)

    def get_loss(self, y_pred, y_true, X=None, training: bool = False, sample_weight=None) -> torch.Tensor:
        """The criterion on one batch; with ``sample_weight`` the weighted mean of per-sample losses."""
        if sample_weight is None:
            return self.criterion_(y_pred, y_true)
        per_sample = self._unreduced_criterion()(y_pred, y_true)
        if per_sample.dim() > 1:
            per_sample = per_sample.reshape(len(per_sample), -1).mean(dim=1)
        return (per_sample * sample_weight).sum() / sample_weight.sum().clamp_min(1e-12)

    @staticmethod
    def _unreduced_copy(criterion: torch.nn.Module) -> torch.nn.Module | None:
        """A copy of ``criterion`` that returns per-sample losses (None when it has no ``reduction``)."""
        if not hasattr(criterion, "reduction"):
            return None
        unreduced = copy.copy(criterion)  # shares the weights and buffers (class weights) of the original
        unreduced.reduction = "none"
        return unreduced

    def _unreduced_criterion(self) -> torch.nn.Module:
        """The per-sample criterion built with ``criterion_`` at ``initialize`` (rebuilt after unpickling)."""
        criterion = getattr(self, "_criterion_none", None)
        if criterion is None:
            criterion = self._criterion_none = self._unreduced_copy(self.criterion_)
        if criterion is None:
            raise TypeError(
                f"sample_weight needs a criterion with a 'reduction' argument; {type(self.criterion_).__name__} has none."
            )
        return criterion

    def _count_correct(self, y_pred, y_true):
        return None

    # ------------------------------------------------------------------ prediction

    def forward(self, X, training: bool = False) -> torch.Tensor:
        """The module's outputs for ``X``, batched, concatenated on the CPU."""
        check_is_fitted(self)
        X = validate_X(self, X, reset=False)
        split = Split(X=to_input_tensor(X, self.integer_input_, self.device_))
        batch_size, _, _, loader_params = self._iterator_settings("valid")
        self.module_.train(training)
        outputs = []
        with torch.no_grad():
            for Xb, _, _ in iterate_batches(split, batch_size, False, None, False, loader_params, self.device_):
                outputs.append(self.infer(Xb).cpu())
        return torch.cat(outputs) if outputs else torch.empty(0)

    def predict(self, X) -> np.ndarray:
        """The module's outputs as a numpy array (the subclasses turn them into labels or values)."""
        return self.forward(X).numpy()

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "module_") and hasattr(self, "history_")
