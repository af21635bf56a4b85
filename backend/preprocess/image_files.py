"""Decoding one image (a path or raw bytes) into 8-bit gray or RGB pixels, whatever its mode.

Every image reader in Torchwork (the zip reader, ImageLoader and its lazy dataset) goes through
:func:`open_image`, so an image the reader accepted is one the model can read. Modes are converted the
same way everywhere: transparency is laid on white, palette and CMYK become RGB, 16-bit and 32-bit
gray scale to 8 bits over their full range, bilevel becomes gray.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

#: File name endings read as images.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm")

#: Modes that hold a single gray channel (before conversion).
GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})

ImageSource = str | os.PathLike | bytes | bytearray | memoryview


class ImageReadError(ValueError):
    """One or more images could not be read; ``failures`` maps each image's name to the reason.

    Parameters
    ----------
    failures : mapping of str to str, or str
        Image name -> why it failed; or a ready message (how a DataLoader worker re-raises it).
    """

    def __init__(self, failures: Mapping[str, str] | str):
        if isinstance(failures, str):
            self.failures: dict[str, str] = {}
            super().__init__(failures)
            return
        self.failures = dict(failures)
        shown = list(self.failures.items())[:10]
        listed = "; ".join(f"{name} ({reason})" for name, reason in shown)
        more = f"; and {len(self.failures) - len(shown)} more" if len(self.failures) > len(shown) else ""
        count = len(self.failures)
        super().__init__(
            f"{count} image{'s' if count != 1 else ''} could not be read: {listed}{more}. "
            "Remove or replace these files and try again."
        )


def is_image_name(name: str) -> bool:
    """Whether a file name ends with one of :data:`IMAGE_EXTENSIONS` (any case)."""
    return str(name).lower().endswith(IMAGE_EXTENSIONS)


def is_image_source(value: Any) -> bool:
    """Whether ``value`` looks like an image: raw bytes, or a path whose name ends like an image file."""
    if isinstance(value, bytes | bytearray | memoryview):
        return True
    if isinstance(value, str | os.PathLike):
        return is_image_name(os.fspath(value))
    return False


def open_image(source: ImageSource) -> Image.Image:
    """Read and fully decode one image as 8-bit ``"L"`` (gray) or ``"RGB"``.

    Raises
    ------
    ValueError
        With a short reason (not found, not an image, truncated, too large, unsupported mode).
    """
    with _opened(source) as image:
        image.load()
        return _eight_bit(image)


def image_mode(source: ImageSource) -> str:
    """The image's stored mode (``"L"``, ``"RGB"``, ``"I;16"``...), read from its header only."""
    with _opened(source) as image:
        return image.mode


def decode_image(source: ImageSource, channels: int, size: tuple[int, int]) -> np.ndarray:
    """One image as uint8 pixels of shape ``(channels, height, width)``, resized to ``size`` ``(H, W)``.

    Raises
    ------
    ValueError
        With a short reason, as :func:`open_image`.
    """
    height, width = size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _raw(source) as raw:
                # JPEG can decode at a reduced scale directly: much faster for large photos.
                raw.draft("L" if channels == 1 else "RGB", (width, height))
                raw.load()
                image = _eight_bit(raw)
    except ValueError:
        raise
    except Exception:
        image = open_image(source)  # the same failure, described
    image = image.convert("L" if channels == 1 else "RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)


@contextmanager
def _opened(source: ImageSource) -> Iterator[Image.Image]:
    """The image opened lazily, every way of failing turned into a ``ValueError`` with a short reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIL warns about odd metadata; the pixels are what matter
            with _raw(source) as image:
                yield image
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except IsADirectoryError:
        raise ValueError("a folder, not an image file") from None
    except UnidentifiedImageError:
        raise ValueError("not an image file, or a format that cannot be read") from None
    except Image.DecompressionBombError:
        raise ValueError("too many pixels to decode safely") from None
    except (OSError, SyntaxError, EOFError) as exc:
        raise ValueError(f"damaged image: {exc}") from None


def _raw(source: ImageSource) -> Image.Image:
    if isinstance(source, bytes | bytearray | memoryview):
        return Image.open(io.BytesIO(bytes(source)))
    if isinstance(source, str | os.PathLike):
        return Image.open(Path(source))
    raise TypeError(f"an image must be a file path or bytes, got {type(source).__name__}")


def _eight_bit(image: Image.Image) -> Image.Image:
    """Convert any mode to ``"L"`` or ``"RGB"`` with 8 bits per channel."""
    mode = image.mode
    if mode in ("L", "RGB"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        return Image.fromarray(_scaled_gray(np.asarray(image), mode), mode="L")
    if mode == "P":
        has_alpha = "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        mode = image.mode
        if mode == "RGB":
            return image
    if mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(background, rgba).convert("RGB")
        return flat.convert("L") if mode in ("LA", "La") else flat
    try:
        return image.convert("RGB")  # CMYK, YCbCr, RGBX, HSV, ...
    except ValueError:
        raise ValueError(f"unsupported colour mode {mode}") from None


def _scaled_gray(values: np.ndarray, mode: str) -> np.ndarray:
    """16/32-bit integer or float gray to 0-255 over the type's range (the same for every image)."""
    values = values.astype(np.float64)
    if mode == "F":
        top = 1.0 if values.size and np.nanmax(values) <= 1.0 else 255.0
    else:
        top = 65535.0  # 16-bit images (and 32-bit "I" holding 16-bit values)
    return np.clip(np.nan_to_num(values) / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
