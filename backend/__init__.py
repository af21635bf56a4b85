"""Torchwork's backend: PyTorch modules as scikit-learn estimators, and the workflow around them."""

from .net import NeuralNet, NeuralNetClassifier, NeuralNetRegressor

__all__ = ["NeuralNet", "NeuralNetClassifier", "NeuralNetRegressor"]
