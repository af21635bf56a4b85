"""Why an artifact was not opened: refusals before unpickling, newer formats, and files that fail to load."""

from __future__ import annotations

#: What to do with a refused pipeline file, said at the end of most messages.
REMEDY = "Upload the .pkl downloaded from this installation's Results page, or train the model again here."


class ArtifactError(ValueError):
    """An artifact that could not be opened; ``reason`` is a short code the caller can branch on."""

    def __init__(self, message: str, reason: str):
        self.reason = reason
        super().__init__(message)


class ArtifactRejected(ArtifactError):
    """A file refused before anything in it was unpickled: unsigned, damaged, or not a pipeline.

    ``reason`` is one of ``"empty"``, ``"not_pickle"``, ``"truncated"``, ``"unknown_signature"`` and
    ``"not_a_pipeline"``.
    """


class ArtifactVersionError(ArtifactError):
    """A file this installation signed, written by a newer Torchwork in a format this one cannot read.

    Refused before unpickling. ``needs`` is the Torchwork version that wrote it (at least that version
    opens it) and ``artifact_format`` the format number it was written in.
    """

    def __init__(self, message: str, needs: str, artifact_format: int):
        self.needs = needs
        self.artifact_format = artifact_format
        super().__init__(message, "newer_format")


class ArtifactLoadError(ArtifactError):
    """A file this installation signed that could not be unpickled here (a library version mismatch)."""

    def __init__(self, message: str):
        super().__init__(message, "load_failed")


def refusal(reason: str, data: bytes, detail: str = "") -> ArtifactRejected:
    """The :class:`ArtifactRejected` for ``reason``, its message saying why and what to do."""
    size = len(data)
    if reason == "empty":
        why = (
            "The file is empty (0 bytes), so there is nothing to open: it was not produced by this Torchwork "
            "installation, or its download was cut off."
        )
    elif reason == "not_pickle":
        why = (
            f"This file was not produced by this Torchwork installation: it is not a pickle at all (it starts "
            f"with {data[:16]!r}), so it was not opened."
        )
    elif reason == "truncated":
        why = (
            f"The file ends before its pickle does (it stops after {size:,} bytes): its download or upload "
            "was interrupted, or it was not produced by this Torchwork installation. It was not opened."
        )
    elif reason == "not_a_pipeline":
        why = f"This file was produced by this Torchwork installation, but it is {detail}, not a fitted pipeline."
        return ArtifactRejected(f"{why} {REMEDY}", reason)
    else:
        why = (
            "This file was not produced by this Torchwork installation (its signature is unknown), so it was "
            "not opened: it was saved elsewhere (another installation, or joblib.dump), or changed after it "
            f"was saved.{' ' + detail if detail else ''} Opening a pickle runs code stored in it, so only "
            "files this installation signed are opened; if you trust the file and its source, open it in "
            "Python with joblib.load."
        )
    return ArtifactRejected(f"{why} {REMEDY}", reason)
