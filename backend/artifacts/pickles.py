"""Saving fitted pipelines as signed joblib pickles, and opening only the pickles this installation signed.

Every file an installation hands out (pipeline, model card as JSON and Markdown, reproduction script, ONNX
model, predictions, data snapshot) is written through :func:`save_artifact` or :func:`write_signed`: written
whole under a temporary name, signed, then renamed into place. :func:`load_pipeline` checks a file's signature, its kind and its format
before a single byte of it is unpickled.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO

import joblib

from backend.artifacts.errors import ArtifactLoadError, refusal
from backend.artifacts.signing import (
    SignatureRecord,
    file_chunks,
    record_signature,
    resolve_home,
    signature_record,
    signing_key,
    tag_of,
)
from backend.artifacts.versions import ARTIFACT_FORMAT, check_format, library_versions, mismatches

#: Kinds of signed files, with the words a refusal uses for them.
KINDS = {
    "pipeline": "a fitted pipeline",
    "model_card": "a model card (JSON)",
    "script": "a reproduction script (Python)",
    "onnx": "an ONNX model",
    "predictions": "a table of predictions (CSV)",
    "data": "a data snapshot (Parquet, or a zip of images with their table)",
    "model_card_md": "a model card (Markdown)",
}

_PICKLE_STOP = b"."  # the opcode that ends every complete pickle
# Compressed joblib files are still pickles (from elsewhere); only other content is "not a pickle".
_COMPRESSED_MAGIC = (
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x5d\x00\x00",
    b"\x04\x22\x4d\x18",
    b"ZF",
    b"x\x01",
    b"x^",
    b"x\x9c",
    b"x\xda",
)


def save_artifact(obj: Any, path: Path, home: Path | None = None) -> str:
    """Write ``obj`` to ``path`` with :func:`joblib.dump` and sign it; return the signature's hex tag.

    The file is written under a temporary name in the same folder and renamed into place once its
    signature is recorded, so ``path`` never holds a partial or unsigned file. It stays a plain joblib
    pickle: ``joblib.load(path)`` opens it anywhere the classes inside it can be imported. The signature
    record keeps the artifact format and library versions, checked by :func:`load_pipeline`.
    """
    return _write_signed(path, lambda f: joblib.dump(obj, f), "pipeline", home)


def write_signed(
    data: bytes | str | Callable[[BinaryIO], Any], path: Path, kind: str, home: Path | None = None
) -> str:
    """Write ``data`` (text is UTF-8 encoded) to ``path`` atomically and sign it as a ``kind`` file.

    ``data`` may also be a function that writes the content to the binary file it is given (a large file,
    written without holding it whole in memory). Returns the signature's hex tag. ``kind`` is one of
    :data:`KINDS` other than ``"pipeline"`` (pickles go through :func:`save_artifact`), so a signed model
    card or script can never open as a pipeline.
    """
    _check_not_pipeline(kind)
    if callable(data):
        return _write_signed(path, data, kind, home)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return _write_signed(path, lambda f: f.write(payload), kind, home)


def sign_file(path: Path, kind: str, home: Path | None = None) -> str:
    """Sign a file this installation has already written whole (a run's data snapshot) as a ``kind`` file,
    without writing it again; return the signature's hex tag."""
    _check_not_pipeline(kind)
    return _sign(Path(path), Path(path), kind, resolve_home(home))


def _check_not_pipeline(kind: str) -> None:
    # Pickles are signed only by save_artifact, so no other file can ever open as a pipeline.
    if kind not in KINDS or kind == "pipeline":
        raise ValueError(f"kind must be one of {', '.join(k for k in KINDS if k != 'pipeline')}, got {kind!r}.")


def _sign(content: Path, path: Path, kind: str, home: Path) -> str:
    """Record the signature of the file ``content``, which is (or is about to become) ``path``."""
    tag = tag_of(file_chunks(content), signing_key(home))
    record_signature(
        tag,
        path.resolve(),
        content.stat().st_size,
        home,
        kind=kind,
        artifact_format=ARTIFACT_FORMAT if kind == "pipeline" else None,
        versions=library_versions(),
    )
    return tag


def _write_signed(path: Path, write: Any, kind: str, home: Path | None) -> str:
    home = resolve_home(home)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        tag = _sign(tmp, path, kind, home)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tag


def verify_artifact(data: bytes, home: Path | None = None) -> bool:
    """Whether ``data`` is, byte for byte, a file that this installation signed (of any kind)."""
    return _record_of(bytes(data), home) is not None


def artifact_record(source: Any, home: Path | None = None) -> dict[str, Any] | None:
    """What this installation recorded when it signed ``source`` (path, bytes or binary file), or None.

    A dict with ``tag``, ``path``, ``size``, ``created_at`` (Unix time), ``kind``, ``artifact_format`` and
    ``versions``. Reads the bytes only: nothing is unpickled.
    """
    record = _record_of(_read_source(source), home)
    return None if record is None else asdict(record)


def load_pipeline(source: Any, home: Path | None = None) -> Any:
    """Open a signed pipeline, checking its signature, kind and format before unpickling anything.

    Parameters
    ----------
    source : path, bytes or binary file
        The file's path, its bytes, or an open binary file (an uploaded file, ``io.BytesIO``).
    home : Path, optional
        The installation whose signatures count; Torchwork's home folder by default.

    Raises
    ------
    ArtifactRejected
        When the bytes are not exactly those of a pipeline this installation signed; ``reason`` says why:
        ``"empty"``, ``"not_pickle"``, ``"truncated"``, ``"unknown_signature"`` (a pickle from elsewhere, or
        a changed byte) or ``"not_a_pipeline"`` (a signed model card, script, ...). Nothing was unpickled.
    ArtifactVersionError
        When the pipeline was written by a newer Torchwork in a format this version cannot read; the
        message names the version it needs. Nothing was unpickled.
    ArtifactLoadError
        When a signed pipeline fails to unpickle here (a library too old or too new); the message lists
        the versions it was saved with that differ from this environment's.
    """
    data = _read_source(source)
    record = _record_of(data, home)
    if record is None:
        raise refusal(_why_unknown(data), data)
    if record.kind != "pipeline":
        raise refusal("not_a_pipeline", data, KINDS.get(record.kind, f"a {record.kind} file"))
    check_format(record.artifact_format, record.versions)
    try:
        # The verified bytes themselves are unpickled: the file is not read a second time.
        return joblib.load(io.BytesIO(data))
    except Exception as exc:
        differ = mismatches(record.versions)
        if differ:
            listed = ", ".join(f"{name} {saved} (here {here})" for name, saved, here in differ)
            pins = " ".join(f"'{name}=={saved}'" for name, saved, _ in differ if name != "python")
            advice = (
                f" It was saved with {listed}: install those versions to open it"
                + (f" (pip install {pins})" if pins else "")
                + ", or train the model again here."
            )
        else:
            advice = " Train the model again with this version."
        raise ArtifactLoadError(
            "This pipeline was saved by this installation but could not be opened here "
            f"({type(exc).__name__}: {exc}).{advice}"
        ) from exc


def _record_of(data: bytes, home: Path | None) -> SignatureRecord | None:
    if not data:
        return None
    key = signing_key(home, create=False)
    if key is None:
        return None  # an installation that never signed anything has no key yet, and recognises nothing
    return signature_record(tag_of([data], key), home)


def _why_unknown(data: bytes) -> str:
    """Why bytes without a signature are refused, read from their first and last bytes only."""
    if not data:
        return "empty"
    if not data.startswith(b"\x80") and not data.startswith(_COMPRESSED_MAGIC):
        return "not_pickle"
    if data.startswith(b"\x80") and not data.endswith(_PICKLE_STOP):
        return "truncated"
    return "unknown_signature"


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
