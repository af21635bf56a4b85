"""A run's data as a file that works on another machine: for an image set, a zip of the images with their
table (paths relative to the zip), which the reproduction script unpacks and reads.

An image run's table holds absolute paths into this installation's home (the bundled digits, an uploaded
zip's extracted folder), so its Parquet snapshot means nothing elsewhere. :func:`write_image_zip` writes:

    images/00000_<name>.png ...   every image the table names, once
    labels.csv                    image,label rows (paths relative to the zip): the layout the Data page reads
    data.parquet                  the run's table itself, its image column holding the relative paths

:func:`read_image_data` reads such a zip (through :func:`backend.data.read_image_zip`, which checks it
before extracting) or the folder it was unpacked into, and gives back the run's table with the image
paths made absolute: the same columns, dtypes, values and image bytes, hence the same fingerprint.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

import pandas as pd

if TYPE_CHECKING:
    from backend.spec import ExperimentSpec

DATA_ZIP_FILE = "data.zip"
TABLE_MEMBER = "data.parquet"
LABELS_MEMBER = "labels.csv"
IMAGES_FOLDER = "images"

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same data gives the same zip, byte for byte
_STORED = (".png", ".jpg", ".jpeg", ".gif", ".webp")  # already compressed


class DataExportError(ValueError):
    """An image set whose files cannot be gathered into a zip (a file gone since training)."""


def image_path_column(spec: ExperimentSpec, frame: pd.DataFrame) -> str | None:
    """The column of image file paths of an image run, or None (a table or text run, or images as bytes)."""
    if spec.data.modality != "images":
        return None
    from backend.pipeline import input_column

    column = input_column(spec, frame)
    values = frame[column].dropna() if column in frame else pd.Series(dtype=object)
    if values.empty or not values.map(lambda v: isinstance(v, str)).all():
        return None
    return column


def write_image_zip(frame: pd.DataFrame, column: str, target: str, out: BinaryIO) -> None:
    """Write ``frame``'s images, a ``path,label`` CSV and the table with relative paths as a zip to ``out``.

    Raises
    ------
    DataExportError
        When an image file named in ``column`` cannot be read; its path and the reason are given.
    """
    members: dict[str, str] = {}  # the table's path -> its name in the zip
    for value in frame[column].dropna():
        if value not in members:
            members[value] = f"{IMAGES_FOLDER}/{len(members):05d}_{_safe_name(value)}"
    table = frame.copy()
    table[column] = frame[column].map(members, na_action="ignore").astype(frame[column].dtype)
    with zipfile.ZipFile(out, "w") as archive:
        for source, name in members.items():
            try:
                content = Path(source).read_bytes()
            except OSError as exc:
                raise DataExportError(
                    f"The image {source} cannot be read ({exc.strerror or exc}); the data zip was not written."
                ) from exc
            compress = zipfile.ZIP_STORED if name.lower().endswith(_STORED) else zipfile.ZIP_DEFLATED
            archive.writestr(_info(name, compress), content)
        labelled = table.loc[table[column].notna() & table[target].notna(), [column, target]]
        labels = labelled.set_axis(["image", "label"], axis=1).to_csv(index=False)
        archive.writestr(_info(LABELS_MEMBER, zipfile.ZIP_DEFLATED), labels)
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False)
        archive.writestr(_info(TABLE_MEMBER, zipfile.ZIP_DEFLATED), buffer.getvalue())


def read_image_data(path: str | os.PathLike, column: str, scratch: str | os.PathLike) -> pd.DataFrame:
    """The run's table from the data zip :func:`write_image_zip` wrote, or from the folder it was unpacked into.

    A zip is checked and its images extracted under ``scratch`` by :func:`backend.data.read_image_zip`; a zip
    without a table (an image zip as uploaded to the Data page) gives that reader's ``image,label`` table. A
    file that is neither a zip nor a folder is read with :func:`backend.data.read_table`.

    Raises
    ------
    ValueError
        When a path in the table leads out of the zip's folder, or the file cannot be read.
    """
    from backend.data import read_image_zip, read_table

    path = Path(path)
    if path.is_dir():
        root = path.resolve()
        table = pd.read_parquet(root / TABLE_MEMBER)
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            raw = archive.read(TABLE_MEMBER) if TABLE_MEMBER in names else None
        images = read_image_zip(path, scratch, labels=raw is None)
        if raw is None:
            return images.frame
        root, table = Path(images.folder).resolve(), pd.read_parquet(io.BytesIO(raw))
    else:
        return read_table(path)
    if column not in table:
        raise ValueError(f"{path} holds no column {column!r} of images; pass the data zip of the run.")
    table[column] = (
        table[column].map(lambda rel: _local(root, rel), na_action="ignore").astype(table[column].dtype)
    )
    return table


def _local(root: Path, relative: str) -> str:
    local = (root / relative).resolve()
    if not local.is_relative_to(root):
        raise ValueError(f"The image path {relative!r} leads out of the data's folder; it was refused.")
    return str(local)


def _safe_name(path: str) -> str:
    name = PurePosixPath(str(path).replace("\\", "/")).name
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name) or "image"


def _info(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info
