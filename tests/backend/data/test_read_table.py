"""read_table on every format and source kind, with delimiter, encoding and missing-value detection."""

import io
import json

import pandas as pd
import pytest

from backend.data import list_sheets, read_table

EXPECTED = pd.DataFrame({"age": [31, 45, 27], "city": ["Paris", "Lyon", "Nice"], "score": [1.5, 2.25, 3.0]})


def _write(path, fmt):
    if fmt == "csv":
        EXPECTED.to_csv(path, index=False)
    elif fmt == "tsv":
        EXPECTED.to_csv(path, index=False, sep="\t")
    elif fmt == "txt":
        EXPECTED.to_csv(path, index=False, sep="|")
    elif fmt == "xlsx":
        EXPECTED.to_excel(path, index=False)
    elif fmt == "parquet":
        EXPECTED.to_parquet(path)
    elif fmt == "json":
        path.write_text(json.dumps(EXPECTED.to_dict(orient="records")))
    elif fmt in ("jsonl", "ndjson"):
        path.write_text("\n".join(json.dumps(r) for r in EXPECTED.to_dict(orient="records")) + "\n")
    return path


def _assert_expected(df):
    assert list(df.columns) == ["age", "city", "score"]
    assert df["age"].tolist() == [31, 45, 27]
    assert df["city"].tolist() == ["Paris", "Lyon", "Nice"]
    assert df["score"].tolist() == [1.5, 2.25, 3.0]
    assert pd.api.types.is_integer_dtype(df["age"])
    assert pd.api.types.is_float_dtype(df["score"])
    assert isinstance(df.index, pd.RangeIndex)


FORMATS = ["csv", "tsv", "txt", "xlsx", "parquet", "json", "jsonl", "ndjson"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_each_format_from_a_path(tmp_path, fmt):
    path = _write(tmp_path / f"table.{fmt}", fmt)
    _assert_expected(read_table(path))
    _assert_expected(read_table(str(path)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_each_format_from_bytes_with_a_filename(tmp_path, fmt):
    data = _write(tmp_path / f"table.{fmt}", fmt).read_bytes()
    _assert_expected(read_table(data, filename=f"upload.{fmt}"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_each_format_from_a_file_object(tmp_path, fmt):
    path = _write(tmp_path / f"table.{fmt}", fmt)
    with open(path, "rb") as f:  # the name comes from the file object
        _assert_expected(read_table(f))
    upload = io.BytesIO(path.read_bytes())
    upload.seek(5)  # an upload already read from is still read from its start
    _assert_expected(read_table(upload, filename=f"upload.{fmt}"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "json", "jsonl"])
def test_sniffs_the_format_of_bytes_without_a_name(tmp_path, fmt):
    data = _write(tmp_path / f"table.{fmt}", fmt).read_bytes()
    _assert_expected(read_table(data))


@pytest.mark.parametrize(
    ("text", "sep"),
    [
        ("age;city;score\n31;Paris;1.5\n45;Lyon;2.25\n27;Nice;3.0\n", ";"),
        ("age\tcity\tscore\n31\tParis\t1.5\n45\tLyon\t2.25\n27\tNice\t3.0\n", "tab"),
        ("age|city|score\n31|Paris|1.5\n45|Lyon|2.25\n27|Nice|3.0\n", "|"),
        ('age,city,score\n31,"Paris, France",1.5\n45,Lyon,2.25\n27,Nice,3.0\n', ","),
    ],
)
def test_detects_the_delimiter_of_a_csv(tmp_path, text, sep):
    path = tmp_path / "table.csv"
    path.write_text(text)
    df = read_table(path)
    assert list(df.columns) == ["age", "city", "score"]
    assert df["score"].tolist() == [1.5, 2.25, 3.0]
    assert df["city"].iloc[0] in ("Paris", "Paris, France")


def test_reads_decimal_commas_in_a_semicolon_file(tmp_path):
    path = tmp_path / "european.csv"
    path.write_text("height;weight\n1,75;70,5\n1,62;58\n")
    df = read_table(path)
    assert df["height"].tolist() == [1.75, 1.62]
    assert df["weight"].tolist() == [70.5, 58.0]


def test_reads_a_latin1_file_with_accents(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("nom,ville\nJosé,Zürich\nFrançoise,Besançon\n".encode("latin-1"))
    df = read_table(path)
    assert list(df.columns) == ["nom", "ville"]
    assert df["nom"].tolist() == ["José", "Françoise"]
    assert df["ville"].tolist() == ["Zürich", "Besançon"]


def test_reads_a_windows_1252_file_with_a_euro_sign(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes("item,price\ncafé,2 €\nthé,3 €\n".encode("cp1252"))
    assert read_table(path)["price"].tolist() == ["2 €", "3 €"]


def test_detects_a_non_utf8_byte_far_into_the_file(tmp_path):
    rows = [f"{i},plain" for i in range(20_000)] + ["20000,Gérard"]
    path = tmp_path / "late.csv"
    path.write_bytes(("id,name\n" + "\n".join(rows) + "\n").encode("latin-1"))
    df = read_table(path)
    assert df["name"].iloc[-1] == "Gérard"
    assert len(df) == 20_001


def test_utf8_bom_does_not_end_up_in_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffprénom,age\nÉlise,31\n".encode())
    df = read_table(path)
    assert list(df.columns) == ["prénom", "age"]
    assert df["prénom"].tolist() == ["Élise"]


def test_reads_utf16_text_as_excel_exports_it(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("name\tscore\nÅsa\t1.5\n".encode("utf-16"))
    df = read_table(path)
    assert list(df.columns) == ["name", "score"]
    assert df["name"].tolist() == ["Åsa"]


def test_na_strings_in_a_numeric_csv_column_keep_it_numeric(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("x,y,z\n1.5,N/A,a\nNA,2,null\nn/a,,b\n4,5,c\n")
    df = read_table(path)
    assert pd.api.types.is_float_dtype(df["x"])
    assert pd.api.types.is_numeric_dtype(df["y"])
    assert df["x"].isna().tolist() == [False, True, True, False]
    assert df["y"].isna().tolist() == [True, False, True, False]
    assert df["z"].isna().tolist() == [False, True, False, False]


def test_na_strings_in_excel_and_json_keep_numeric_columns_numeric(tmp_path):
    xlsx = tmp_path / "na.xlsx"
    pd.DataFrame({"x": [1.5, "N/A", 3], "s": ["a", "null", "b"]}).to_excel(xlsx, index=False)
    records = tmp_path / "na.json"
    records.write_text('[{"x": 1.5, "s": "a"}, {"x": "N/A", "s": "null"}, {"x": 3, "s": "b"}]')
    for path in (xlsx, records):
        df = read_table(path)
        assert pd.api.types.is_float_dtype(df["x"]), path
        assert df["x"].isna().tolist() == [False, True, False]
        assert df["s"].isna().tolist() == [False, True, False]


def test_a_trailing_delimiter_adds_no_column(tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_text("a,b,\n1,2,\n3,4,\n")
    assert list(read_table(path).columns) == ["a", "b"]


def test_quoted_line_breaks_stay_inside_their_value(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('id,note\n1,"first line\nsecond line"\n2,short\n')
    df = read_table(path)
    assert df["note"].tolist() == ["first line\nsecond line", "short"]


def test_quoted_line_breaks_past_the_first_block_of_a_large_file(tmp_path):
    # Above pyarrow's 1 MiB block size, with the first quoted line break far from the start.
    rows = [f"{i},plain,{i / 2}" for i in range(2000)]
    rows += [f'{i},"' + "\n".join(["x,y"] * (1 + i % 29)) + f'",{i / 2}' for i in range(2000, 26_000)]
    path = tmp_path / "long_notes.csv"
    path.write_text("id,note,x\n" + "\n".join(rows) + "\n")
    df = read_table(path)
    assert df["id"].tolist() == list(range(26_000))
    assert df["note"].iloc[-1] == "\n".join(["x,y"] * (1 + 25_999 % 29))
    assert df["x"].iloc[-1] == 25_999 / 2


def test_json_nested_records_become_dotted_columns(tmp_path):
    path = tmp_path / "nested.jsonl"
    path.write_text('{"id": 1, "size": {"w": 2, "h": 3}}\n{"id": 2, "size": {"w": 4, "h": 5}}\n')
    df = read_table(path)
    assert list(df.columns) == ["id", "size.w", "size.h"]
    assert df["size.h"].tolist() == [3, 5]


def test_json_object_of_columns_is_read(tmp_path):
    df = read_table(b'{"a": [1, 2], "b": ["x", "y"]}', filename="cols.json")
    assert df.to_dict(orient="list") == {"a": [1, 2], "b": ["x", "y"]}


def test_text_mode_file_object_is_accepted():
    df = read_table(io.StringIO("a,b\n1,2\n"), filename="pasted.csv")
    assert df.to_dict(orient="list") == {"a": [1], "b": [2]}


@pytest.fixture
def two_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1, 2]}).to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"b": ["x", "y", "z"]}).to_excel(writer, sheet_name="second", index=False)
    return path


def test_list_sheets_names_every_sheet_in_order(two_sheets):
    assert list_sheets(two_sheets) == ["first", "second"]
    assert list_sheets(two_sheets.read_bytes(), filename="book.xlsx") == ["first", "second"]


def test_reads_the_first_sheet_by_default_and_any_sheet_by_name(two_sheets):
    assert read_table(two_sheets).to_dict(orient="list") == {"a": [1, 2]}
    assert read_table(two_sheets, sheet="second").to_dict(orient="list") == {"b": ["x", "y", "z"]}


def test_the_same_upload_can_list_sheets_then_be_read(two_sheets):
    upload = io.BytesIO(two_sheets.read_bytes())
    sheets = list_sheets(upload, filename="book.xlsx")
    assert read_table(upload, filename="book.xlsx", sheet=sheets[-1])["b"].tolist() == ["x", "y", "z"]


def test_blank_rows_above_a_sheets_header_are_skipped(tmp_path):
    path = tmp_path / "report.xlsx"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_excel(path, index=False, startrow=2)
    assert read_table(path).to_dict(orient="list") == {"a": [1, 2], "b": ["x", "y"]}
