"""infer_schema gives each column the role a person would: one column of each role, and edge cases."""

import numpy as np
import pandas as pd
import pytest

from backend.data import ROLES, ColumnInfo, infer_schema

N = 30


def _one_of_each_role() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    words = ["quick", "brown", "fox", "jumps", "over", "lazy", "dog", "again", "today", "slowly"]
    return pd.DataFrame(
        {
            "height": rng.normal(170, 10, N),
            "colour": (["red", "green", "blue"] * 10),
            "review": [" ".join(rng.choice(words, 8)) + f" {i}" for i in range(N)],
            "customer": [f"C{i:04d}" for i in rng.permutation(N)],
            "row": rng.permutation(N),
            "country": ["FR"] * N,
            "signup": [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(N)],
            "comment": [None] * N,
            "smoker": [i % 2 for i in range(N)],
            "visits": rng.integers(0, 1000, N) * 7 + 3,  # whole numbers, many distinct
            "active": [bool(i % 3) for i in range(N)],
            "created": pd.date_range("2020-01-01", periods=N, freq="D"),
        }
    )


EXPECTED_ROLES = {
    "height": "numeric",
    "colour": "categorical",
    "review": "text",
    "customer": "id_like",
    "row": "id_like",
    "country": "constant",
    "signup": "datetime",
    "comment": "empty",
    "smoker": "categorical",
    "visits": "numeric",
    "active": "categorical",
    "created": "datetime",
}


def test_one_column_of_each_role_gets_its_role():
    schema = infer_schema(_one_of_each_role())
    assert [info.name for info in schema] == list(EXPECTED_ROLES)
    assert {info.name: info.role for info in schema} == EXPECTED_ROLES
    assert set(EXPECTED_ROLES.values()) == set(ROLES)


def test_column_info_counts_missing_and_distinct_values_and_explains_itself():
    df = _one_of_each_role()
    df.loc[[0, 5], "height"] = np.nan
    info = {c.name: c for c in infer_schema(df)}
    assert isinstance(info["height"], ColumnInfo)
    assert (info["height"].n_missing, info["height"].n_distinct) == (2, N - 2)
    assert (info["colour"].n_missing, info["colour"].n_distinct) == (0, 3)
    assert (info["comment"].n_missing, info["comment"].n_distinct) == (N, 0)
    assert info["height"].dtype == "float64"
    assert info["row"].note == "unique integer per row: looks like an identifier"
    assert "3 distinct values" in info["colour"].note
    assert "'FR'" in info["country"].note
    assert all(c.note for c in info.values())


def test_unique_whole_numbers_that_do_not_count_rows_stay_numeric():
    df = pd.DataFrame(
        {"income": [21000, 35500, 18250, 99000, 47300, 52100, 61000, 30500, 44400, 27800, 39900]}
    )
    assert infer_schema(df)[0].role == "numeric"


def test_an_id_column_name_makes_unique_integers_an_identifier():
    df = pd.DataFrame({"patient_id": [913, 17, 402, 55, 230]})
    assert infer_schema(df)[0].role == "id_like"


def test_integers_with_missing_values_are_still_read_as_categories():
    df = pd.DataFrame({"rating": [1, 2, 3, np.nan, 2, 1, 3, 3, 2, 1]})
    info = infer_schema(df)[0]
    assert (info.role, info.n_missing, info.n_distinct) == ("categorical", 1, 3)


def test_short_labels_with_many_distinct_values_are_categorical_not_text():
    df = pd.DataFrame({"city": [f"town{i % 80}" for i in range(120)]})
    info = infer_schema(df)[0]
    assert info.role == "categorical"
    assert "high cardinality" in info.note


def test_multi_word_labels_that_repeat_are_categorical():
    df = pd.DataFrame({"place": ["New York City", "Los Angeles area", "Rio de Janeiro"] * 10})
    assert infer_schema(df)[0].role == "categorical"


def test_numbers_are_not_mistaken_for_dates():
    df = pd.DataFrame({"code": ["12", "7", "33", "12", "7", "5"]})
    assert infer_schema(df)[0].role == "categorical"


@pytest.mark.parametrize(
    "values", [["2024-01-05", "2023-12-31"], ["05/01/2024", "31/12/2023"], ["Jan 5, 2024", "Dec 31, 2023"]]
)
def test_date_strings_in_common_formats_are_datetime(values):
    df = pd.DataFrame({"when": values * 5})
    assert infer_schema(df)[0].role == "datetime"


def test_string_columns_longer_than_the_sample_are_judged_on_all_their_values():
    # Heuristics look at a sample of the strings; counts still cover every row.
    n = 5000
    df = pd.DataFrame({"label": ["a", "b"] * (n // 2), "key": [f"k{i}" for i in range(n)]})
    info = infer_schema(df)
    assert [c.role for c in info] == ["categorical", "id_like"]
    assert info[1].n_distinct == n
