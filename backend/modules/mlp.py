"""MLP: a fully connected network for tabular data, with input and output sizes the net can infer."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "sigmoid": nn.Sigmoid,
}


def activation_layer(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}.")
    return ACTIVATIONS[name]()


class MLP(nn.Module):
    """Linear layers with an activation, optional batch norm and dropout between them.

    Parameters
    ----------
    in_features : int, optional
        Number of input columns. Left ``None``, the net sets it from the data.
    out_features : int, optional
        Number of outputs. Left ``None``, the net sets it: the number of classes for a classifier, the
        number of target columns for a regressor.
    hidden_units : sequence of int
        Width of each hidden layer; empty for a linear model.
    activation : str
        One of ``relu``, ``gelu``, ``tanh``, ``leaky_relu``, ``elu``, ``sigmoid``.
    dropout : float
        Dropout probability after each hidden layer.
    batch_norm : bool
        Batch normalisation after each hidden linear layer.
    """

    def __init__(
        self,
        in_features: int | None = None,
        out_features: int | None = None,
        hidden_units: Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ):
        super().__init__()
        if in_features is None or out_features is None:
            raise ValueError(
                "MLP needs in_features and out_features; wrap it in a NeuralNet, which fills them from the data, "
                "or pass them explicitly."
            )
        if isinstance(hidden_units, int):
            hidden_units = (hidden_units,)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        layers: list[nn.Module] = []
        width = in_features
        for units in hidden_units:
            if int(units) < 1:
                raise ValueError(f"hidden_units must be positive integers, got {tuple(hidden_units)}.")
            layers.append(nn.Linear(width, int(units)))
            if batch_norm:
                layers.append(nn.BatchNorm1d(int(units)))
            layers.append(activation_layer(activation))
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = int(units)
        layers.append(nn.Linear(width, out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
