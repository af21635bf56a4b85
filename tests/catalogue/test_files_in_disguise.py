"""Files that are not what their name claims, cut short, or empty: refused with what is wrong and what to do."""

from __future__ import annotations

import io
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from backend.data import ImageArchiveError, TableReadError, read_image_zip, read_table

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _png(size: int = 8) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_an_image_that_is_really_a_pdf_is_named_and_the_good_images_still_read(tmp_path):
    members = {f"cat/{i}.png": _png() for i in range(3)} | {f"dog/{i}.png": _png() for i in range(3)}
    members["dog/fake.png"] = PDF
    images = read_image_zip(_zip(members), tmp_path / "images")
    assert len(images.frame) == 6
    assert any("fake.png" in str(name) for name in images.corrupt)


def test_a_zip_of_only_pdfs_named_as_images_is_refused(tmp_path):
    with pytest.raises(ImageArchiveError) as info:
        read_image_zip(_zip({"cat/a.png": PDF, "dog/b.png": PDF}), tmp_path / "images")
    assert "a.png" in str(info.value) or "image" in str(info.value).lower()


def test_a_pdf_uploaded_as_a_table_is_named_as_a_pdf():
    with pytest.raises(TableReadError, match="PDF"):
        read_table(PDF, "data.csv")


def test_an_xlsx_that_is_a_zip_of_something_else_is_refused_as_not_a_workbook():
    with pytest.raises(TableReadError, match=r"(?i)not an? .*(workbook|Excel)"):
        read_table(_zip({"notes.txt": b"hello"}), "book.xlsx")


def test_a_zip_uploaded_as_images_that_is_not_a_zip_is_refused(tmp_path):
    with pytest.raises(ImageArchiveError, match="(?i)not a zip"):
        read_image_zip(PDF, tmp_path / "images")


def test_a_parquet_file_with_nested_columns_is_refused_naming_them():
    table = pa.table({"x": [1, 2], "tags": [[1, 2], [3]], "point": [{"a": 1}, {"a": 2}]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    with pytest.raises(TableReadError, match=r"(?s)nested.*('tags'.*'point'|'point'.*'tags')"):
        read_table(buffer.getvalue(), "nested.parquet")


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"x": list(range(100)), "y": [i % 2 for i in range(100)]}), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cut.parquet", _parquet_bytes()[:-40]),
        ("cut.xlsx", None),
        ("cut.json", b'[{"a": 1, "b": 2}, {"a": 3, '),
    ],
)
def test_a_truncated_file_is_refused_with_a_message(name, data, tmp_path):
    if data is None:
        import pandas as pd

        path = tmp_path / "book.xlsx"
        pd.DataFrame({"a": range(50), "b": range(50)}).to_excel(path, index=False)
        data = path.read_bytes()[:-100]
    with pytest.raises(TableReadError) as info:
        read_table(data, name)
    message = str(info.value)
    assert name in message and len(message) > 40


def test_a_truncated_csv_keeps_its_complete_rows():
    df = read_table(b"a,b\n1,2\n3,4\n5,", "cut.csv")
    assert df["a"].tolist() == [1, 3, 5]


@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx", "empty.parquet", "empty.json"])
def test_a_zero_byte_file_is_refused_as_empty(name):
    with pytest.raises(TableReadError, match=r"empty \(0 bytes\)"):
        read_table(b"", name)


def test_a_zero_byte_zip_of_images_is_refused(tmp_path):
    with pytest.raises(ImageArchiveError):
        read_image_zip(b"", tmp_path / "images")


def test_json_records_holding_lists_are_refused_naming_the_column():
    with pytest.raises(TableReadError, match="nested values.*'tags'"):
        read_table(b'[{"tags": [1, 2], "b": 1}, {"tags": [3], "b": 2}]', "nested.json")
