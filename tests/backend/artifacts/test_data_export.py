"""An image run's data zip: the images, a path,label CSV the Data page reads, and the run's table with
relative paths, signed; read back (zip or unzipped folder) it is the run's table with the same fingerprint."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from backend.artifacts import artifact_record, verify_artifact
from backend.artifacts.data_export import DataExportError, read_image_data, write_image_zip
from backend.data import fingerprint, read_image_zip


def test_the_data_zip_is_signed_and_holds_each_image_once_with_relative_paths(digits_run):
    content = (digits_run.folder / "data.zip").read_bytes()
    assert verify_artifact(content, home=digits_run.home)
    assert artifact_record(content, home=digits_run.home)["kind"] == "data"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        table = pd.read_parquet(io.BytesIO(archive.read("data.parquet")))
    images = [n for n in names if n.startswith("images/")]
    assert len(images) == digits_run.frame["image"].nunique()
    assert set(table["image"]) == set(images) and not any(str(digits_run.home) in n for n in names)
    assert table.drop(columns="image").equals(digits_run.frame.drop(columns="image"))


def test_the_zip_uploads_as_an_image_set_and_reads_back_as_the_runs_table(digits_run, tmp_path):
    zip_path = digits_run.folder / "data.zip"
    uploaded = read_image_zip(zip_path, tmp_path / "upload")  # what the Data page makes of it
    assert uploaded.layout == "csv" and len(uploaded.frame) == len(digits_run.frame)
    assert sorted(uploaded.frame["label"].astype(int)) == sorted(digits_run.frame["digit"])

    from_zip = read_image_data(zip_path, "image", tmp_path / "scratch")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(tmp_path / "unzipped")
    from_folder = read_image_data(tmp_path / "unzipped", "image", tmp_path / "unused")
    for table in (from_zip, from_folder):
        assert list(table.columns) == list(digits_run.frame.columns)
        assert table.dtypes.equals(digits_run.frame.dtypes)
        assert fingerprint(table) == fingerprint(digits_run.frame)


def test_a_table_path_leading_out_of_the_folder_is_refused(tmp_path):
    folder = tmp_path / "unzipped"
    folder.mkdir()
    pd.DataFrame({"image": ["../secret.png"], "label": [1]}).to_parquet(folder / "data.parquet")
    with pytest.raises(ValueError, match="leads out of the data's folder"):
        read_image_data(folder, "image", tmp_path / "scratch")


def test_an_image_gone_since_training_is_named(tmp_path):
    frame = pd.DataFrame({"image": [str(tmp_path / "gone.png")], "label": [1]})
    with pytest.raises(DataExportError, match="gone.png cannot be read"):
        write_image_zip(frame, "image", "label", io.BytesIO())
