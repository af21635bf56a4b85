"""ConvNet: a small configurable convolutional network for images, with sizes the net can infer.

Input is a float32 batch ``(N, C, H, W)`` (what :class:`backend.preprocess.ImageLoader` produces). Each
block is a same-padded convolution, optional batch norm, an activation and a 2x2 pooling; global average
pooling then makes the head independent of the image size. Augmentation (random flips and small
rotations) runs inside the module and only in training mode, so prediction is never augmented.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .mlp import activation_layer

POOLINGS = ("max", "avg", "none")


class ImageAugment(nn.Module):
    """Random horizontal flips and rotations of a batch while training; the identity in eval mode.

    Parameters
    ----------
    flip : bool
        Mirror each image left-right with probability 1/2.
    rotation : float
        Rotate each image by an angle drawn uniformly from ``[-rotation, rotation]`` degrees; edge pixels
        fill the corners.
    """

    def __init__(self, flip: bool = False, rotation: float = 0.0):
        super().__init__()
        if not 0.0 <= rotation <= 180.0:
            raise ValueError(f"rotation must be between 0 and 180 degrees, got {rotation}.")
        self.flip = flip
        self.rotation = float(rotation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        n = x.shape[0]
        if self.flip:
            mirrored = torch.rand(n, device=x.device) < 0.5
            x = torch.where(mirrored[:, None, None, None], x.flip(-1), x)
        if self.rotation > 0:
            angles = (torch.rand(n, device=x.device) * 2 - 1) * math.radians(self.rotation)
            cos, sin = torch.cos(angles), torch.sin(angles)
            zeros = torch.zeros_like(cos)
            theta = torch.stack([torch.stack([cos, -sin, zeros], 1), torch.stack([sin, cos, zeros], 1)], 1)
            grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        return x

    def extra_repr(self) -> str:
        return f"flip={self.flip}, rotation={self.rotation:g}"


class ConvNet(nn.Module):
    """Convolution blocks, global average pooling and a linear head.

    Parameters
    ----------
    in_channels : int, optional
        Channels of the input images (1 gray, 3 colour). Left ``None``, the net sets it from the data.
    out_features : int, optional
        Number of outputs. Left ``None``, the net sets it (the number of classes for a classifier).
    channels : sequence of int
        Output channels of each convolution block; the number of items is the number of blocks.
    kernel_size : int
        Side of the square convolution kernels (same padding keeps the image size).
    pooling : {"max", "avg", "none"}
        The 2x2 pooling that halves the image after each block (a 1-pixel side stays 1).
    batch_norm : bool
        Batch normalisation after each convolution.
    dropout : float
        Dropout probability before the linear head.
    activation : str
        One of ``relu``, ``gelu``, ``tanh``, ``leaky_relu``, ``elu``, ``sigmoid``.
    augment_flip, augment_rotation : bool, float
        Training-only augmentation, see :class:`ImageAugment`.
    """

    def __init__(
        self,
        in_channels: int | None = None,
        out_features: int | None = None,
        channels: Sequence[int] = (16, 32),
        kernel_size: int = 3,
        pooling: str = "max",
        batch_norm: bool = True,
        dropout: float = 0.0,
        activation: str = "relu",
        augment_flip: bool = False,
        augment_rotation: float = 0.0,
    ):
        super().__init__()
        if in_channels is None or out_features is None:
            raise ValueError(
                "ConvNet needs in_channels and out_features; wrap it in a NeuralNet, which fills them from the "
                "data, or pass them explicitly."
            )
        if isinstance(channels, int):
            channels = (channels,)
        if not channels or any(int(c) < 1 for c in channels):
            raise ValueError(f"channels must be one or more positive integers, got {tuple(channels)}.")
        if int(kernel_size) < 1:
            raise ValueError(f"kernel_size must be a positive integer, got {kernel_size}.")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        # Only a module that augments carries the layer, so a plain ConvNet lists no no-op layer.
        self.augment = ImageAugment(augment_flip, augment_rotation) if augment_flip or augment_rotation else None
        layers: list[nn.Module] = []
        width = int(in_channels)
        for units in channels:
            units = int(units)
            layers.append(nn.Conv2d(width, units, int(kernel_size), padding="same", bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(units))
            layers.append(activation_layer(activation))
            if pooling == "max":
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
            elif pooling == "avg":
                layers.append(nn.AvgPool2d(2, ceil_mode=True))
            width = units
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.head = nn.Linear(width, int(out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(
                f"ConvNet expects images of shape (batch, channels, height, width), got shape {tuple(x.shape)}. "
                "Load images with backend.preprocess.ImageLoader."
            )
        if self.augment is not None:
            x = self.augment(x)
        x = self.features(x)
        return self.head(self.dropout(self.pool(x).flatten(1)))
