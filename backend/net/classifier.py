"""NeuralNetClassifier: labels of any kind in, the same labels out; softmax probabilities."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from .base import NeuralNet


class NeuralNetClassifier(ClassifierMixin, NeuralNet):
    """A :class:`NeuralNet` for classification.

    The module returns one logit per class (``CrossEntropyLoss`` by default); ``predict`` returns the
    original labels (strings, ints, bools...) held in ``classes_`` and ``predict_proba`` their softmax.

    Parameters
    ----------
    class_weight : "balanced", dict or None
        Weights per class passed to the criterion as ``weight``; ``"balanced"`` is inversely proportional
        to class frequencies. All other parameters are :class:`NeuralNet`'s.
    """

    _classifier = True
    _parameter_constraints = {**NeuralNet._parameter_constraints, "class_weight": [dict, StrOptions({"balanced"}), None]}

    def __init__(
        self,
        module,
        criterion=torch.nn.CrossEntropyLoss,
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
        class_weight=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            warm_start=warm_start,
            verbose=verbose,
            device=device,
            random_state=random_state,
            **kwargs,
        )
        self.class_weight = class_weight

    def _encode_y(self, y, reset: bool, classes=None):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        if isinstance(y, torch.Tensor):
            y = y.cpu().numpy()
        check_classification_targets(y)
        y = np.asarray(y)
        if reset:
            encoder = LabelEncoder().fit(classes if classes is not None else y)
            self.classes_ = encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(
                    f"The target has only 1 class ({self.classes_[0]!r}); a classifier needs at least 2 classes. "
                    "Check the target column, or use a regressor for a numeric target."
                )
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y holds labels not seen when the net was first fitted: {unknown[:5].tolist()}. "
                f"Known classes: {self.classes_.tolist()}."
            )
        encoded = np.searchsorted(self.classes_, y)
        return torch.as_tensor(encoded, dtype=torch.int64), len(self.classes_)

    def _criterion_defaults(self) -> dict:
        if self.class_weight is None:
            return {}
        if self.class_weight != "balanced" and not isinstance(self.class_weight, dict):
            raise ValueError(f"class_weight must be 'balanced', a dict or None, got {self.class_weight!r}.")
        if isinstance(self.class_weight, dict):
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=self.classes_)
        else:
            weights = self._balanced_weights()
        return {"weight": torch.as_tensor(weights, dtype=torch.float32)}

    def _balanced_weights(self) -> np.ndarray:
        """``n_samples / (n_classes * count)`` per class, from the counts taken at fit (no labels are kept)."""
        counts = getattr(self, "_class_counts", None)
        if counts is None or len(counts) != len(self.classes_):
            raise ValueError(
                "class_weight='balanced' needs the class counts of the training target: fit the net, or give "
                "class_weight as a dict {label: weight}."
            )
        missing = self.classes_[counts == 0]
        if len(missing):
            raise ValueError(
                f"class_weight='balanced' needs every class in y; {missing[:5].tolist()} do not occur. Give "
                "class_weight as a dict {label: weight} instead."
            )
        return counts.sum() / (len(counts) * counts.astype(np.float64))

    def _prepare(self, X, y, sample_weight, reset: bool, classes=None):
        data = super()._prepare(X, y, sample_weight, reset, classes)
        if reset:  # aggregated counts only: a fitted (and pickled) net carries no copy of y
            self._class_counts = np.bincount(data.y.numpy(), minlength=len(self.classes_))
        return data

    def get_loss(self, y_pred, y_true, X=None, training: bool = False, sample_weight=None):
        if isinstance(self.criterion_, torch.nn.CrossEntropyLoss | torch.nn.NLLLoss) and (
            y_pred.dim() != 2 or y_pred.shape[1] != len(self.classes_)
        ):
            raise ValueError(
                f"The module returns outputs of shape {tuple(y_pred.shape)} per batch, but there are "
                f"{len(self.classes_)} classes: it must return one score per class, shape (batch, "
                f"{len(self.classes_)}). Set the module's output size to {len(self.classes_)} (module__out_features)."
            )
        return super().get_loss(y_pred, y_true, X=X, training=training, sample_weight=sample_weight)

    def _count_correct(self, y_pred, y_true):
        if y_true is None or y_pred.dim() != 2:
            return None
        return (y_pred.argmax(dim=1) == y_true).sum()

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        logits = self.forward(X)
        if isinstance(self.criterion_, torch.nn.NLLLoss):
            return logits.exp().numpy()
        return torch.softmax(logits.float(), dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        """The most probable class for each row, as one of the original labels."""
        indices = self.forward(X).argmax(dim=1).numpy()
        return self.classes_[indices]
