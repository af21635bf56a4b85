"""Bad and awkward tables: each either reads as the user meant, or is refused with the problem and the fix."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backend.data import TableReadError, infer_schema, read_table


def test_an_empty_file_is_refused_as_empty():
    with pytest.raises(TableReadError, match=r"empty \(0 bytes\).*Upload a file"):
        read_table(b"", "empty.csv")


def test_a_file_of_blank_space_is_refused():
    with pytest.raises(TableReadError, match="only blank space"):
        read_table(b"  \n\n \n", "blank.csv")


def test_a_header_without_rows_is_refused_naming_the_header():
    with pytest.raises(TableReadError, match=r"header \(a, b, c\) but no data rows.*Add rows"):
        read_table(b"a,b,c\n", "header.csv")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_accented_text_reads_in_each_common_encoding(encoding):
    text = "name,city\nZoë,Kraków\nRenée,Zürich\n" if encoding != "cp1252" else "name,city\nZoë,Zürich\nRenée,Paris\n"
    df = read_table(text.encode(encoding), "people.csv")
    assert list(df.columns) == ["name", "city"]
    assert df["name"].tolist() == ["Zoë", "Renée"]


def test_a_file_mixing_utf8_and_latin1_lines_reads_each_as_written():
    data = "name,n\nZoë,1\n".encode() + "Renée,2\n".encode("latin-1") + "€uro,3\n".encode("cp1252")
    df = read_table(data, "mixed.csv")
    assert df["name"].tolist() == ["Zoë", "Renée", "€uro"] and df["n"].tolist() == [1, 2, 3]


def test_latin1_rows_far_below_a_utf8_head_read_as_written():
    rows = "".join(f"Zoë {i},{i}\n" for i in range(20_000)).encode()  # longer than the sniffed head
    df = read_table(b"name,n\n" + rows + "Renée,-1\n".encode("latin-1"), "long.csv")
    assert df["name"].iloc[0] == "Zoë 0" and df["name"].iloc[-1] == "Renée" and len(df) == 20_001


def test_a_json_lines_file_in_cp1252_reads_its_accents():
    df = read_table('{"name": "Renée", "n": 1}\n'.encode("cp1252"), "rows.jsonl")
    assert df["name"].tolist() == ["Renée"]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_detected(delimiter):
    data = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "2", "x"]) + "\n"
    df = read_table((data * 1).encode(), "table.txt")
    assert list(df.columns) == ["a", "b", "c"] and df["c"].tolist() == ["x"]


def test_quoted_line_breaks_stay_inside_their_cell():
    df = read_table(b'id,note\n1,"first line\nsecond line"\n2,plain\n', "notes.csv")
    assert df.shape == (2, 2) and df["note"][0] == "first line\nsecond line"


def test_a_byte_order_mark_does_not_reach_the_first_column_name():
    df = read_table("\ufeffa,b\n1,2\n".encode(), "bom.csv")
    assert list(df.columns) == ["a", "b"]


def test_duplicate_column_names_are_refused_naming_them():
    with pytest.raises(TableReadError, match=r"duplicate column names: 'a' \(2 times\).*Rename"):
        read_table(b"a,b,a\n1,2,3\n", "dup.csv")


def test_a_blank_column_name_is_refused_naming_its_position():
    with pytest.raises(TableReadError, match=r"without a name \(position 2\).*Give every column a name"):
        read_table(b"a,,c\n1,2,3\n", "blank_name.csv")


def test_decimal_commas_with_semicolons_read_as_numbers():
    df = read_table(b"price;qty\n1,5;2\n2,25;3\n10,0;4\n", "euro.csv")
    assert df["price"].tolist() == [1.5, 2.25, 10.0]


def test_thousands_separators_in_quoted_numbers_read_as_numbers():
    df = read_table(b'amount,k\n"1,234.5",1\n"12,000",2\n"7.25",3\n', "thousands.csv")
    assert pd.api.types.is_numeric_dtype(df["amount"])
    assert df["amount"].tolist() == [1234.5, 12000.0, 7.25]


def test_thousands_separators_with_decimal_commas_read_as_numbers():
    df = read_table(b"amount;k\n1.234,5;1\n12.000,75;2\n7,25;3\n", "euro_thousands.csv")
    assert df["amount"].tolist() == [1234.5, 12000.75, 7.25]


def test_text_that_only_looks_like_numbers_in_part_stays_text():
    df = read_table(b'code,k\n"1,234",1\nA-7,2\n', "codes.csv")
    assert df["code"].tolist() == ["1,234", "A-7"]


def test_inf_reads_as_a_number_and_the_schema_says_so():
    df = read_table(b"x,y\n1,0\ninf,1\n-inf,0\n2,1\n", "inf.csv")
    assert pd.api.types.is_float_dtype(df["x"]) and math.isinf(df["x"][1])
    info = {c.name: c for c in infer_schema(df)}
    assert info["x"].role == "numeric"
    assert info["x"].n_infinite == 2 and "2 infinite values, treated as missing" in info["x"].note
    assert info["y"].n_infinite == 0


def test_dates_are_recognised_as_dates_not_categories():
    rows = "".join(f"2024-01-{d:02d},{d % 2}\n" for d in range(1, 29))
    df = read_table(("day,y\n" + rows).encode(), "dates.csv")
    info = {c.name: c for c in infer_schema(df)}
    assert info["day"].role == "datetime"


def test_booleans_read_as_true_and_false():
    df = read_table(b"flag,y\ntrue,1\nfalse,0\nTrue,1\n", "bools.csv")
    assert df["flag"].map(bool).tolist() == [True, False, True]


def test_a_column_of_one_value_is_marked_constant():
    df = read_table(b"k,x,y\n7,1,0\n7,2,1\n7,3,0\n7,4,1\n", "const.csv")
    info = {c.name: c for c in infer_schema(df)}
    assert info["k"].role == "constant" and info["k"].note


def test_five_thousand_columns_read():
    header = ",".join(f"c{i}" for i in range(5000))
    row = ",".join(str(i % 7) for i in range(5000))
    df = read_table(f"{header}\n{row}\n{row}\n".encode(), "wide.csv")
    assert df.shape == (2, 5000)


def test_an_id_column_is_not_a_category():
    n = 500
    df = pd.DataFrame({"customer": [f"C{i:05d}" for i in range(n)], "x": np.arange(n) % 5, "y": np.arange(n) % 2})
    info = {c.name: c for c in infer_schema(df)}
    assert info["customer"].role == "id_like"


def test_a_table_over_the_row_or_column_limit_is_refused_naming_the_setting(monkeypatch):
    monkeypatch.setenv("TORCHWORK_MAX_ROWS", "3")
    with pytest.raises(TableReadError, match=r"has 4 rows, more than this installation's limit of 3.*TORCHWORK_MAX_ROWS"):
        read_table(b"a\n1\n2\n3\n4\n", "rows.csv")
    monkeypatch.setenv("TORCHWORK_MAX_COLUMNS", "2")
    with pytest.raises(TableReadError, match=r"3 columns.*TORCHWORK_MAX_COLUMNS"):
        read_table(b"a,b,c\n1,2,3\n", "cols.csv")


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(monkeypatch):
    monkeypatch.setenv("TORCHWORK_MAX_UPLOAD_MB", "1")
    with pytest.raises(TableReadError, match=r"2.0 MB, more than this installation's limit of 1 MB.*TORCHWORK_MAX_UPLOAD_MB"):
        read_table(b"a\n" + b"1\n" * 1_000_000, "big.csv")
