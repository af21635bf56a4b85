"""ImageDataset: images decoded one at a time when a DataLoader asks, for sets too large for memory."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from backend.preprocess.image_files import ImageReadError, decode_image


class ImageDataset(Dataset):
    """A torch ``Dataset`` of normalised float32 ``(C, H, W)`` images, read from paths or bytes on demand.

    ``ImageLoader.transform`` returns one for large sets; the net batches it through a ``DataLoader``, whose
    worker processes (``iterator_train__num_workers``) decode images in parallel with training.
    ``shape`` is ``(N, C, H, W)``, as for an array, so the net can size a ConvNet from it.

    Parameters
    ----------
    names : list of str
        Each image's name, for error messages.
    sources : list of path or bytes
    channels : int
    size : (int, int)
        ``(height, width)``.
    mean, std : array of shape (channels,)
        Normalisation of pixels in [0, 1].
    """

    def __init__(
        self,
        names: list[str],
        sources: list[Any],
        channels: int,
        size: tuple[int, int],
        mean: np.ndarray,
        std: np.ndarray,
    ):
        self.names = list(names)
        self.sources = list(sources)
        self.channels = int(channels)
        self.size = (int(size[0]), int(size[1]))
        self.scale = torch.as_tensor(1.0 / (255.0 * np.asarray(std, dtype=np.float64)), dtype=torch.float32)
        self.shift = torch.as_tensor(np.asarray(mean, dtype=np.float64) / np.asarray(std), dtype=torch.float32)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self.sources), self.channels, *self.size)

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> torch.Tensor:
        try:
            pixels = decode_image(self.sources[index], self.channels, self.size)
        except ValueError as exc:
            raise ImageReadError({self.names[index]: str(exc)}) from None
        image = torch.from_numpy(pixels.astype(np.float32))
        return image * self.scale[:, None, None] - self.shift[:, None, None]
