"""Saving fitted pipelines as signed joblib pickles, and opening only the pickles this installation signed."""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path
from typing import Any

import joblib

from backend.artifacts.signing import (
    file_chunks,
    is_recorded,
    record_signature,
    resolve_home,
    signing_key,
    tag_of,
)


class ArtifactRejected(ValueError):
    """A file that this installation did not sign, refused before anything in it was unpickled."""

    def __init__(self, detail: str = ""):
        message = (
            "This file was not produced by this Torchwork installation (its signature is unknown), so it "
            "was not opened. Opening a pickle runs code stored in it; upload a .pkl downloaded from this "
            "installation's Results page, or train the model again here."
        )
        super().__init__(f"{message} {detail}".strip())


def save_artifact(obj: Any, path: Path, home: Path | None = None) -> str:
    """Write ``obj`` to ``path`` with :func:`joblib.dump` and sign it; return the signature's hex tag.

    The file is written under a temporary name in the same folder and renamed into place once its
    signature is recorded, so ``path`` never holds a partial or unsigned file. It stays a plain joblib
    pickle: ``joblib.load(path)`` opens it anywhere the classes inside it can be imported.
    """
    home = resolve_home(home)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as f:
            joblib.dump(obj, f)
            f.flush()
            os.fsync(f.fileno())
        tag = tag_of(file_chunks(tmp), signing_key(home))
        record_signature(tag, path.resolve(), tmp.stat().st_size, home)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tag


def verify_artifact(data: bytes, home: Path | None = None) -> bool:
    """Whether ``data`` is, byte for byte, a file that this installation signed."""
    data = bytes(data)
    if not data:
        return False
    key = signing_key(home, create=False)
    if key is None:
        return False
    return is_recorded(tag_of([data], key), home)


def load_pipeline(source: Any, home: Path | None = None) -> Any:
    """Open a signed artifact, verifying its signature before unpickling anything.

    Parameters
    ----------
    source : path, bytes or binary file
        The file's path, its bytes, or an open binary file (an uploaded file, ``io.BytesIO``).

    Raises
    ------
    ArtifactRejected
        When the bytes are not exactly those of a file this installation signed (a foreign, tampered,
        truncated or empty file).
    ValueError
        When a signed file cannot be unpickled any more (its classes moved in a newer version).
    """
    data = _read_source(source)
    if not verify_artifact(data, home):
        raise ArtifactRejected("The file is empty." if not data else "")
    try:
        # The verified bytes themselves are unpickled: the file is not read a second time.
        return joblib.load(io.BytesIO(data))
    except Exception as exc:
        raise ValueError(
            f"This file was saved by this installation but could not be opened ({type(exc).__name__}: {exc}). "
            "It may need the Torchwork version that saved it; train the model again with this version."
        ) from exc


def _read_source(source: Any) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).read_bytes()
    if hasattr(source, "getvalue"):
        return bytes(source.getvalue())
    if hasattr(source, "read"):
        return bytes(source.read())
    raise TypeError(f"load_pipeline needs a path, bytes or a binary file, got {type(source).__name__}.")
