"""Reading an uploaded zip of images safely: checked before anything is written, extracted into one folder.

A zip is refused whole, with nothing written, when a member would land outside the target folder (``../``,
an absolute path, a drive letter), is a link or a device, is encrypted, or when the members are too many
or too large once decompressed (a zip bomb). Bytes are counted again while extracting, so a member that
decompresses to more than its header declared is caught too. Only images (and the label CSV) are written;
other files are skipped and counted; every image that does not decode is named.

Two layouts are read: one folder per class (``cats/1.png``, ``dogs/7.jpg``; a common top folder is fine),
or a CSV of ``path,label`` rows (paths relative to the CSV's folder) anywhere in the zip.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from backend.preprocess.image_files import is_image_name, open_image

#: Columns of an image set's table.
IMAGE_COLUMN = "image"
LABEL_COLUMN = "label"

_PATH_NAMES = ("path", "file", "filename", "file_name", "image", "img", "image_path", "filepath")
_LABEL_NAMES = ("label", "class", "target", "category", "y")
_SYSTEM_NAMES = {"thumbs.db", "desktop.ini"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1 << 16


class UnsafeArchiveError(ValueError):
    """A zip refused for safety (path traversal, links, too many files, too large); nothing was written."""


class ImageArchiveError(ValueError):
    """A zip that is safe but cannot be read as an image set (not a zip, no images, a bad label CSV)."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps that keep a zip from filling the disk: members, total and per-file decompressed bytes."""

    max_files: int = 50_000
    max_total_bytes: int = 2 * 2**30
    max_file_bytes: int = 256 * 2**20


@dataclass
class ImageSet:
    """An image set read from a zip.

    Attributes
    ----------
    frame : DataFrame
        ``image`` (absolute path of each extracted image that decodes) and, when labelled, ``label``.
    folder : Path
        Where the images were extracted.
    layout : str
        ``"folders"`` (one folder per class), ``"csv"`` (a path,label CSV) or ``"unlabelled"``.
    skipped : list of str
        Members that are not images (nor the label CSV), left out and not written.
    corrupt : dict
        Member name -> why it cannot be used (does not decode, listed in the CSV but missing, ...).
    """

    frame: pd.DataFrame
    folder: Path
    layout: str
    skipped: list[str] = field(default_factory=list)
    corrupt: dict[str, str] = field(default_factory=dict)

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)

    def class_counts(self) -> dict:
        """Images per label, most frequent first (empty when unlabelled)."""
        if LABEL_COLUMN not in self.frame:
            return {}
        return {k: int(v) for k, v in self.frame[LABEL_COLUMN].value_counts().items()}


def read_image_zip(
    source: str | os.PathLike | bytes | BinaryIO,
    target: str | os.PathLike,
    labels: bool = True,
    limits: ArchiveLimits = ArchiveLimits(),
) -> ImageSet:
    """Check a zip of images, extract its images into ``target`` and return them as a table.

    Parameters
    ----------
    source : path, bytes or binary file
        The zip.
    target : path
        Folder to extract into (created if needed); nothing is written outside it.
    labels : bool
        Read labels from the layout (class folders or a CSV); ``False`` takes every image, unlabelled
        (for prediction).
    limits : ArchiveLimits

    Raises
    ------
    UnsafeArchiveError
        Naming every unsafe member, or the cap exceeded; nothing is written.
    ImageArchiveError
        When the file is not a zip, holds no usable image, or its label CSV cannot be read.
    """
    target = Path(target)
    with _open_zip(source) as archive:
        members = _checked_members(archive, limits)
        images, skipped, csvs = _sort_members(members)
        csv_member = _label_csv(csvs) if labels else None
        if csv_member is None:
            skipped += csvs
        if not images:
            found = f"; it holds {len(skipped)} other file(s), such as {skipped[0]!r}" if skipped else ""
            raise ImageArchiveError(f"The zip holds no image files (PNG, JPEG, GIF, BMP, TIFF, WebP){found}.")
        extraction = _Extraction(archive, target.resolve(), limits)
        try:
            if not labels:
                rows, corrupt, layout = [(name,) for name in images], {}, "unlabelled"
            elif csv_member is not None:
                csv_path = extraction.write([csv_member])[csv_member]
                rows, corrupt = _csv_rows(csv_path, csv_member, images)
                layout = "csv"
            else:
                rows, corrupt, layout = _folder_rows(images), {}, "folders"
            used = [row[0] for row in rows]
            skipped = sorted([*skipped, *(set(images) - set(used))])  # images no label refers to
            written = extraction.write(used)
        except BaseException:
            extraction.undo()
            raise
    for name in used:
        try:
            open_image(written[name])
        except ValueError as exc:
            corrupt[name] = str(exc)
    rows = [row for row in rows if row[0] not in corrupt]
    if not rows:
        shown = "; ".join(f"{n} ({why})" for n, why in list(corrupt.items())[:5])
        raise ImageArchiveError(f"None of the zip's images could be used: {shown}.")
    columns = [IMAGE_COLUMN, LABEL_COLUMN] if labels else [IMAGE_COLUMN]
    frame = pd.DataFrame([[str(written[name]), *rest] for name, *rest in rows], columns=columns)
    return ImageSet(frame=frame, folder=extraction.root, layout=layout, skipped=skipped, corrupt=corrupt)


# ---------------------------------------------------------------------- checking


def _open_zip(source) -> zipfile.ZipFile:
    try:
        if isinstance(source, bytes | bytearray):
            return zipfile.ZipFile(io.BytesIO(bytes(source)))
        return zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise ImageArchiveError("The file is not a zip archive (or it is damaged). Upload a .zip file.") from None
    except FileNotFoundError:
        raise ImageArchiveError(f"No such file: {source}.") from None


def _member_name(info: zipfile.ZipInfo) -> str:
    return info.filename.replace("\\", "/")


def _is_link_or_special(info: zipfile.ZipInfo) -> bool:
    if info.create_system != 3:  # only Unix-made zips record a file type
        return False
    kind = stat.S_IFMT(info.external_attr >> 16)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)  # 0: permissions only, a plain file


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = _member_name(info)
    if name.startswith("/") or _DRIVE.match(name):
        return "an absolute path"
    if ".." in name.split("/"):
        return "a path that leads out of the folder ('..')"
    if "\x00" in name:
        return "a name with a null character"
    if _is_link_or_special(info):
        return "a link" if stat.S_ISLNK(info.external_attr >> 16) else "a special file (not a regular file)"
    if info.flag_bits & 0x1:
        return "encrypted"
    return None


def _checked_members(archive: zipfile.ZipFile, limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """Every file member, after refusing the whole zip for any unsafe member or exceeded cap."""
    infos = archive.infolist()
    problems = [f"{_member_name(i)!r} is {why}" for i in infos if (why := _unsafe_reason(i))]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise UnsafeArchiveError(f"The zip was refused, nothing was extracted: {shown}. Zip the image folders again.")
    files = [i for i in infos if not i.is_dir()]
    if len(files) > limits.max_files:
        raise UnsafeArchiveError(
            f"The zip holds {len(files)} files, more than the {limits.max_files} allowed: upload fewer images."
        )
    big = [i for i in files if i.file_size > limits.max_file_bytes]
    if big:
        raise UnsafeArchiveError(
            f"{_member_name(big[0])!r} would decompress to {_size(big[0].file_size)}, more than the "
            f"{_size(limits.max_file_bytes)} allowed per file; nothing was extracted."
        )
    total = sum(i.file_size for i in files)
    if total > limits.max_total_bytes:
        raise UnsafeArchiveError(
            f"The zip would decompress to {_size(total)}, more than the {_size(limits.max_total_bytes)} "
            "allowed; nothing was extracted. Upload fewer or smaller images."
        )
    return files


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _is_system_file(name: str) -> bool:
    parts = name.split("/")
    base = parts[-1]
    return parts[0] == "__MACOSX" or base.startswith(".") or base.lower() in _SYSTEM_NAMES


def _sort_members(members: Iterable[zipfile.ZipInfo]) -> tuple[list[str], list[str], list[str]]:
    """Member names split into images, skipped files and CSV files, each sorted."""
    images, skipped, csvs = [], [], []
    for info in members:
        name = _member_name(info)
        if _is_system_file(name):
            skipped.append(name)
        elif is_image_name(name):
            images.append(name)
        elif name.lower().endswith(".csv"):
            csvs.append(name)
        else:
            skipped.append(name)
    return sorted(images), sorted(skipped), sorted(csvs)


def _label_csv(csvs: list[str]) -> str | None:
    if len(csvs) > 1:
        raise ImageArchiveError(
            f"The zip holds {len(csvs)} CSV files ({', '.join(csvs[:3])}): keep one CSV of path,label rows, or "
            "none and one folder per class."
        )
    return csvs[0] if csvs else None


# ---------------------------------------------------------------------- extracting


class _Extraction:
    """Writes members under ``root`` within the caps, remembering what it wrote so a refusal can undo it."""

    def __init__(self, archive: zipfile.ZipFile, root: Path, limits: ArchiveLimits):
        self.archive, self.root, self.limits = archive, root, limits
        self.by_name = {_member_name(i): i for i in archive.infolist()}
        self.written: list[Path] = []
        self.total = 0

    def write(self, names: list[str]) -> dict[str, Path]:
        self.root.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name in names:
            destination = (self.root / name).resolve()
            if not destination.is_relative_to(self.root):  # e.g. a link already inside the target folder
                raise UnsafeArchiveError(f"{name!r} would be written outside the target folder; the zip was refused.")
            destination.parent.mkdir(parents=True, exist_ok=True)
            budget = self.limits.max_total_bytes - self.total
            self.written.append(destination)
            self.total += _copy_member(self.archive, self.by_name[name], destination, self.limits, budget)
            paths[name] = destination
        return paths

    def undo(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)


def _copy_member(archive, info: zipfile.ZipInfo, destination: Path, limits: ArchiveLimits, budget: int) -> int:
    cap = min(limits.max_file_bytes, budget)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    copied = 0
    try:
        with archive.open(info) as member, os.fdopen(os.open(destination, flags, 0o600), "wb") as out:
            while chunk := member.read(_CHUNK):
                copied += len(chunk)
                if copied > cap:
                    raise UnsafeArchiveError(
                        f"{_member_name(info)!r} decompresses to more than its declared size allows; the zip was "
                        "refused and nothing was kept."
                    )
                out.write(chunk)
    except zipfile.BadZipFile as exc:
        destination.unlink(missing_ok=True)
        raise ImageArchiveError(f"The zip is damaged at {_member_name(info)!r}: {exc}.") from None
    except UnsafeArchiveError:
        destination.unlink(missing_ok=True)
        raise
    return copied


# ---------------------------------------------------------------------- labels


def _folder_rows(images: list[str]) -> list[tuple[str, str]]:
    """``(member, label)`` rows, the label being the image's folder; images at the zip's root have none."""
    rows = [(name, name.split("/")[-2]) for name in images if "/" in name]
    if not rows:
        raise ImageArchiveError(
            "The images are not in class folders: put each class's images in a folder named after the class "
            "(cats/1.png, dogs/2.png), or add a CSV of path,label rows."
        )
    return rows


def _csv_rows(path: Path, csv_member: str, images: list[str]):
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImageArchiveError(f"The label file {csv_member!r} cannot be read as CSV: {exc}.") from None
    path_column, label_column = _csv_columns(table, csv_member)
    folder = posixpath.dirname(csv_member)
    members = set(images)
    rows, problems, seen = [], {}, set()
    for raw_path, label in zip(table[path_column], table[label_column], strict=True):
        name = _csv_member_name(raw_path, folder, members)
        if name is None:
            problems[raw_path] = f"listed in {csv_member} but not an image in the zip"
        elif not str(label).strip():
            problems[name] = f"no label in {csv_member}"
        elif name not in seen:
            seen.add(name)
            rows.append((name, str(label).strip()))
    return rows, problems


def _csv_columns(table: pd.DataFrame, csv_member: str) -> tuple[str, str]:
    lower = {str(c).strip().lower(): c for c in table.columns}
    path = next((lower[n] for n in _PATH_NAMES if n in lower), None)
    label = next((lower[n] for n in _LABEL_NAMES if n in lower), None)
    if path is None and label is None and table.shape[1] == 2:
        return table.columns[0], table.columns[1]
    if path is None or label is None:
        raise ImageArchiveError(
            f"The label file {csv_member!r} needs a column of image paths (named path, file or image) and one of "
            f"labels (named label or class); its columns are {', '.join(map(str, table.columns))}."
        )
    return path, label


def _csv_member_name(raw: str, folder: str, members: set[str]) -> str | None:
    """The zip member a CSV path names (relative to the CSV's folder, or to the zip's root); None if none."""
    cleaned = str(raw).strip().replace("\\", "/")
    if not cleaned or cleaned.startswith("/") or _DRIVE.match(cleaned):
        return None
    for base in dict.fromkeys((folder, "")):
        name = posixpath.normpath(posixpath.join(base, cleaned))
        if not name.startswith("..") and name in members:
            return name
    return None
