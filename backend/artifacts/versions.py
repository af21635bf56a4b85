"""Version safety: the artifact format number, the library versions an artifact was made with, and the check
that refuses, before unpickling, a file written by a newer, incompatible Torchwork."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from typing import Any

from backend.artifacts.errors import ArtifactVersionError

#: The format of the pipelines this version writes. Raise it when a pickle written by this version can no
#: longer be opened by older ones (a class moved or changed its state); older versions then refuse such files
#: with a message naming the version that wrote them, instead of failing inside the unpickler.
ARTIFACT_FORMAT = 1

#: Packages whose versions are recorded with every artifact and printed on its model card.
PACKAGES = ("torchwork", "torch", "scikit-learn", "numpy", "pandas", "scipy", "joblib")

UNKNOWN = "unknown"


@cache
def library_versions() -> dict[str, str]:
    """Python's version and each of :data:`PACKAGES`' (``"not installed"`` when absent)."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def torchwork_version() -> str:
    """This installation's Torchwork version (``"unknown"`` when run from a source tree)."""
    version = library_versions()["torchwork"]
    return UNKNOWN if version == "not installed" else version


def check_format(artifact_format: int | None, versions: Mapping[str, Any] | None) -> None:
    """Refuse an artifact whose format is newer than :data:`ARTIFACT_FORMAT`.

    ``artifact_format`` None is a file signed before formats were recorded (format 1).

    Raises
    ------
    ArtifactVersionError
        Naming the Torchwork version that wrote the file and the command that installs it.
    """
    artifact_format = 1 if artifact_format is None else int(artifact_format)
    if artifact_format <= ARTIFACT_FORMAT:
        return
    writer = str((versions or {}).get("torchwork") or UNKNOWN)
    if writer in (UNKNOWN, "not installed"):
        install = "pip install --upgrade torchwork"
    else:
        install = f"pip install 'torchwork>={writer}'"
    raise ArtifactVersionError(
        f"This pipeline was saved by Torchwork {writer} in artifact format {artifact_format}, but this "
        f"installation runs Torchwork {torchwork_version()}, which opens formats up to {ARTIFACT_FORMAT}. "
        f"It was not opened. Upgrade to Torchwork {writer} or newer ({install}) to use it, or train the "
        "model again with this version.",
        needs=writer,
        artifact_format=artifact_format,
    )


def mismatches(saved: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """The recorded library versions that differ from this environment's: ``(name, saved, here)``."""
    here = library_versions()
    return [
        (name, str(version), here[name])
        for name, version in (saved or {}).items()
        if name in here and str(version) != here[name]
    ]
