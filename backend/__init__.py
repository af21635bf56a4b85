"""Torchwork's backend: PyTorch modules as scikit-learn estimators, and the workflow around them."""

from importlib import import_module

__all__ = ["NeuralNet", "NeuralNetClassifier", "NeuralNetRegressor"]


def __getattr__(name: str):
    # Imported on first use, so `import backend.runs` (the dashboard, job workers) does not pay for torch.
    if name in __all__:
        return getattr(import_module(".net", __name__), name)
    raise AttributeError(f"module 'backend' has no attribute {name!r}")
