"""The bundled image sample: scikit-learn's handwritten digits written out as small PNG files.

An image set is a table of image files and labels, so the digits are written once into Torchwork's
home (``samples/digits/<digit>/<index>.png``) and the sample is the table of their paths.
"""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from sklearn import datasets

from backend.home import torchwork_home

DIGITS_FOLDER = ("samples", "digits")
_DONE = ".complete"


def digits_png(pixels: np.ndarray) -> bytes:
    """One 8x8 digit (values 0-16, ink high) as the bytes of a gray PNG file (ink white on black)."""
    gray = np.clip(np.asarray(pixels, dtype=np.float64) * (255.0 / 16.0) + 0.5, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(gray, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def load_digits_images(home: Path | None = None) -> pd.DataFrame:
    """The 1797 digits as a table: ``image`` (absolute path of an 8x8 gray PNG) and ``digit`` (0-9).

    The PNG files are written on first use under ``home`` (Torchwork's home by default) and reused after.
    """
    folder = (home or torchwork_home()).joinpath(*DIGITS_FOLDER)
    bunch = datasets.load_digits()
    paths = [folder / str(digit) / f"{i:04d}.png" for i, digit in enumerate(bunch.target)]
    if not (folder / _DONE).exists():
        for path, pixels in zip(paths, bunch.images, strict=True):
            _write_atomically(path, digits_png(pixels))
        (folder / _DONE).touch()
    return pd.DataFrame({"image": [str(p) for p in paths], "digit": bunch.target.astype(np.int64)})


def _write_atomically(path: Path, data: bytes) -> None:
    # Two processes may load the sample at once: each file appears whole or not at all.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
