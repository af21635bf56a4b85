"""The model zoo: plain ``torch.nn.Module`` classes whose sizes the net can infer from the data."""

from .mlp import MLP

__all__ = ["MLP"]
