"""The estimator layer: torch modules behind scikit-learn's fit / predict."""

from .base import NeuralNet, TrainingDivergedError
from .classifier import NeuralNetClassifier
from .inputs import NonNumericInputError
from .regressor import NeuralNetRegressor, TargetShapeError

__all__ = [
    "NeuralNet",
    "NeuralNetClassifier",
    "NeuralNetRegressor",
    "NonNumericInputError",
    "TargetShapeError",
    "TrainingDivergedError",
]
