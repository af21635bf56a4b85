"""NeuralNetRegressor: 1-D targets predict 1-D, 2-D targets 2-D, and shape mismatches fail loudly."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import RegressorMixin

from .base import NeuralNet


class TargetShapeError(ValueError):
    """The module's output cannot be compared with the target without broadcasting."""


class NeuralNetRegressor(RegressorMixin, NeuralNet):
    """A :class:`NeuralNet` for regression (``MSELoss`` by default).

    A 1-D ``y`` trains against the module's single output column and ``predict`` returns 1-D; a 2-D ``y``
    predicts 2-D. A module whose output shape cannot match the target raises :class:`TargetShapeError`
    instead of letting the loss broadcast silently.
    """

    def __init__(
        self,
        module,
        criterion=torch.nn.MSELoss,
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # a 2-D y trains a module with one output per column
        return tags

    def _encode_y(self, y, reset: bool, classes=None):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = y.cpu().numpy() if isinstance(y, torch.Tensor) else np.array(y, dtype=np.float32)
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
        if reset:
            self.y_ndim_ = y.ndim
        return torch.as_tensor(y, dtype=torch.float32), (y.shape[1] if y.ndim == 2 else 1)

    def get_loss(self, y_pred, y_true, X=None, training: bool = False, sample_weight=None):
        if y_true.dim() == 1 and y_pred.dim() == 2 and y_pred.shape[1] == 1:
            y_pred = y_pred[:, 0]
        if y_pred.shape != y_true.shape:
            raise TargetShapeError(
                f"The module returns predictions of shape {tuple(y_pred.shape)} per batch but the target batch has "
                f"shape {tuple(y_true.shape)}. Make the module's output match the target: "
                + (
                    "one output for a 1-D y (module__out_features=1)."
                    if y_true.dim() == 1
                    else f"{y_true.shape[1]} outputs for a y with {y_true.shape[1]} columns."
                )
            )
        return super().get_loss(y_pred, y_true, X=X, training=training, sample_weight=sample_weight)

    def predict(self, X) -> np.ndarray:
        """Predictions shaped like the training target: 1-D for a 1-D ``y``, else 2-D."""
        output = self.forward(X).numpy().astype(np.float64)  # scikit-learn's regressors predict float64
        if getattr(self, "y_ndim_", 2) == 1 and output.ndim == 2 and output.shape[1] == 1:
            return output[:, 0]
        return output
