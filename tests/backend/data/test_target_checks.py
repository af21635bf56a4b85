"""infer_task proposes a task from the target's values; check_target reports what blocks training."""

import numpy as np
import pandas as pd
import pytest

from backend.data import TargetCheck, TaskGuess, check_target, infer_task


def test_strings_are_classification():
    guess = infer_task(pd.Series(["cat", "dog", "cat", "bird", None]))
    assert guess == TaskGuess("classification", "3 distinct string values")


def test_few_integers_are_classification():
    guess = infer_task(pd.Series([0, 1, 2, 1, 0, 2, 2, 1]))
    assert guess == TaskGuess("classification", "3 distinct integer values")


def test_floats_are_regression():
    guess = infer_task(pd.Series(np.linspace(0.5, 9.5, 40)))
    assert guess.task == "regression"
    assert guess.reason == "continuous numbers (40 distinct values)"


def test_many_integers_are_regression():
    guess = infer_task(pd.Series(range(100, 200)))
    assert guess.task == "regression"
    assert "100 distinct integer values" in guess.reason


def test_booleans_are_classification():
    assert infer_task(pd.Series([True, False, True])).task == "classification"


def _frame():
    return pd.DataFrame(
        {
            "x": np.arange(12, dtype=float),
            "label": ["a", "b", "c"] * 4,
            "price": np.linspace(1.0, 12.0, 12),
            "same": ["k"] * 12,
            "nothing": [np.nan] * 12,
        }
    )


def test_a_good_target_passes():
    check = check_target(_frame(), "label", "classification", n_folds=3)
    assert check == TargetCheck(errors=[], warnings=[], n_missing=0)
    assert check.ok
    assert check_target(_frame(), "price", "regression", n_folds=5).ok


def test_target_that_is_not_a_column():
    check = check_target(_frame(), "labels", "classification")
    assert not check.ok
    assert "There is no column 'labels'. Choose one of: 'x', 'label'" in check.errors[0]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_constant_target(task):
    check = check_target(_frame(), "same", task)
    assert not check.ok
    assert "'same' has a single" in check.errors[0]
    assert "('k')" in check.errors[0]


def test_one_class_left_after_missing_values_is_an_error():
    df = pd.DataFrame({"y": ["a", None, "a", None]})
    check = check_target(df, "y", "classification")
    assert "single class" in check.errors[0]
    assert check.n_missing == 2


def test_all_missing_target():
    check = check_target(_frame(), "nothing", "regression")
    assert check.errors == ["Every value of 'nothing' is missing. Choose a column that holds the target."]
    assert check.n_missing == 12


def test_regression_on_strings():
    check = check_target(_frame(), "label", "regression")
    assert (
        "Regression needs a numeric target, but 'label' holds str values (e.g. 'a', 'b', 'c')"
        in check.errors[0]
    )
    assert "Choose classification" in check.errors[0]


def test_regression_on_infinite_values():
    df = pd.DataFrame({"y": [1.0, 2.0, np.inf]})
    assert "infinite" in check_target(df, "y", "regression").errors[0]


def test_classification_on_a_continuous_target_with_many_values():
    df = pd.DataFrame({"y": np.linspace(0, 1, 150)})
    check = check_target(df, "y", "classification")
    assert "'y' has 150 distinct numeric values and looks continuous" in check.errors[0]
    assert "Choose regression" in check.errors[0]


def test_many_string_classes_is_only_a_warning():
    df = pd.DataFrame({"y": [f"c{i}" for i in range(150)] * 2})
    check = check_target(df, "y", "classification")
    assert check.ok
    assert "150 classes" in check.warnings[0]


def test_rows_with_a_missing_target_are_counted_and_will_be_dropped():
    df = _frame()
    df.loc[[1, 4, 7], "price"] = np.nan
    check = check_target(df, "price", "regression")
    assert check.ok
    assert check.n_missing == 3
    assert check.warnings == ["3 row(s) with a missing 'price' will be dropped before training."]


def test_classes_smaller_than_the_folds_are_named_with_their_counts():
    df = pd.DataFrame({"y": ["big"] * 10 + ["rare"] * 2 + ["tiny"]})
    check = check_target(df, "y", "classification", n_folds=5)
    assert check.ok
    assert "fewer samples than the 5 folds: 'rare' (2), 'tiny' (1)" in check.warnings[0]


def test_integer_class_labels_are_shown_plainly():
    df = pd.DataFrame({"y": [0] * 10 + [1] * 2})
    check = check_target(df, "y", "classification", n_folds=3)
    assert "folds: 1 (2)" in check.warnings[0]


def test_every_class_smaller_than_the_folds_is_an_error():
    df = pd.DataFrame({"y": ["a", "a", "b", "b", "c", "c"]})
    check = check_target(df, "y", "classification", n_folds=3)
    assert "Every class of 'y' has fewer samples than the 3 folds" in check.errors[0]


def test_fewer_rows_than_folds_is_an_error():
    df = pd.DataFrame({"y": [1.0, 2.5, 3.5, np.nan]})
    check = check_target(df, "y", "regression", n_folds=5)
    assert not check.ok
    assert "Only 3 row(s) have a 'y', fewer than the 5 folds" in check.errors[0]


def test_unknown_task():
    assert "Unknown task 'clustering'" in check_target(_frame(), "label", "clustering").errors[0]
