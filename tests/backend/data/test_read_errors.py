"""Each way an upload can be unreadable gives a TableReadError saying what is wrong and what to do."""

import io

import pandas as pd
import pytest

from backend.data import TableReadError, list_sheets, read_table


def test_table_read_error_is_a_value_error():
    assert issubclass(TableReadError, ValueError)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(TableReadError, match=r"'empty.csv' is empty \(0 bytes\)"):
        read_table(path)
    with pytest.raises(TableReadError, match="empty"):
        read_table(b"", filename="upload.xlsx")


def test_header_without_rows_names_the_columns(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("age,city\n")
    with pytest.raises(TableReadError, match=r"header \(age, city\) but no data rows.*Add rows"):
        read_table(path)


def test_header_without_rows_in_a_sheet(tmp_path):
    path = tmp_path / "header.xlsx"
    pd.DataFrame({"age": [], "city": []}).to_excel(path, index=False)
    with pytest.raises(TableReadError, match="no data rows"):
        read_table(path)


def test_blank_text_file(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n  \n")
    with pytest.raises(TableReadError, match="only blank space"):
        read_table(path)


def test_binary_file_named_csv(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(
        TableReadError, match="'photo.csv' is not a text table: it looks like binary data.*CSV"
    ):
        read_table(path)


def test_workbook_named_csv_says_to_use_its_real_extension(tmp_path):
    book = tmp_path / "book.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(book, index=False)
    with pytest.raises(TableReadError, match=r"looks like an Excel workbook.*\.xlsx"):
        read_table(book.read_bytes(), filename="book.csv")


def test_xlsx_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(TableReadError, match=r"'fake.xlsx' is not a valid Excel workbook.*save it as \.xlsx"):
        read_table(path)
    with pytest.raises(TableReadError, match="not a valid Excel workbook"):
        list_sheets(path)


def test_missing_sheet_lists_the_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="Data", index=False)
        pd.DataFrame({"b": [2]}).to_excel(writer, sheet_name="Notes", index=False)
    with pytest.raises(TableReadError, match="no sheet named 'Summary'. Its sheets are: 'Data', 'Notes'"):
        read_table(path, sheet="Summary")


def test_sheet_of_a_csv_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n")
    with pytest.raises(TableReadError, match="no sheets"):
        read_table(path, sheet="Data")
    with pytest.raises(TableReadError, match="not an Excel workbook"):
        list_sheets(path)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_duplicate_column_names_are_named(tmp_path, fmt):
    path = tmp_path / f"dup.{fmt}"
    if fmt == "csv":
        path.write_text("id,score,score,name,name,name\n1,2,3,a,b,c\n")
    else:
        pd.DataFrame(
            [[1, 2, 3, "a", "b", "c"]], columns=["id", "score", "score", "name", "name", "name"]
        ).to_excel(path, index=False)
    with pytest.raises(
        TableReadError, match=r"duplicate column names: 'score' \(2 times\), 'name' \(3 times\)\. Rename"
    ):
        read_table(path)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_blank_column_names_give_their_position(tmp_path, fmt):
    path = tmp_path / f"blank.{fmt}"
    if fmt == "csv":
        path.write_text("a, ,c\n1,2,3\n")
    else:
        pd.DataFrame([[1, 2, 3]], columns=["a", "", "c"]).to_excel(path, index=False)
    with pytest.raises(
        TableReadError, match=r"1 column\(s\) without a name \(position 2\)\. Give every column a name"
    ):
        read_table(path)


def test_truncated_parquet(tmp_path):
    path = tmp_path / "cut.parquet"
    buffer = io.BytesIO()
    pd.DataFrame({"a": range(100)}).to_parquet(buffer)
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(
        TableReadError, match="'cut.parquet' could not be read as Parquet.*truncated or corrupt"
    ):
        read_table(path)


def test_unsupported_extension_lists_the_supported_ones(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(
        TableReadError, match=r"'\.docx' are not supported\. Supported extensions: \.csv, \.tsv.*\.parquet"
    ):
        read_table(path)


def test_legacy_xls_says_to_save_as_xlsx():
    with pytest.raises(TableReadError, match=r"legacy Excel \.xls.*save it as \.xlsx"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, filename="old.xls")


def test_rows_longer_than_the_header(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(TableReadError, match="comma-separated text.*line 3.*as many fields as the header"):
        read_table(path)


def test_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"a": 1}, {"a": ')
    with pytest.raises(TableReadError, match="'broken.json' is not valid JSON"):
        read_table(path)


def test_json_that_is_not_a_table(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]")
    with pytest.raises(TableReadError, match="does not hold a table"):
        read_table(path)


def test_missing_path(tmp_path):
    with pytest.raises(TableReadError, match="No file at"):
        read_table(tmp_path / "nowhere.csv")


def test_unsupported_source_type():
    with pytest.raises(TypeError, match="Pass a file path, the file's bytes"):
        read_table(12345)


def test_a_saved_row_index_without_a_name_is_explained(tmp_path):
    path = tmp_path / "with_index.csv"
    pd.DataFrame({"a": [5, 6]}).to_csv(path)  # pandas writes the index under a blank name
    with pytest.raises(TableReadError, match="position 1.*often a row index saved with the data"):
        read_table(path)


def test_empty_sheet_is_named(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="Data", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="Blank", index=False)
    with pytest.raises(TableReadError, match="Sheet 'Blank' of 'book.xlsx' is empty"):
        read_table(path, sheet="Blank")
