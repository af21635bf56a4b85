"""The estimator layer: torch modules behind scikit-learn's fit / predict."""

from .base import ModelTooLargeError, NeuralNet, TrainingDivergedError
from .classifier import NeuralNetClassifier
from .inputs import NonNumericInputError
from .regressor import NeuralNetRegressor, TargetShapeError

__all__ = [
    "ModelTooLargeError",
    "NeuralNet",
    "NeuralNetClassifier",
    "NeuralNetRegressor",
    "NonNumericInputError",
    "TargetShapeError",
    "TrainingDivergedError",
]
