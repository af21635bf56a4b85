import numpy as np
import pytest

from backend.evaluate import METRICS, classification_scores, regression_scores


def test_binary_scores_are_the_documented_ones():
    y = np.array(["no", "yes", "yes", "no"])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    predicted = np.array(["no", "yes", "no", "no"])
    scores, omitted = classification_scores(y, predicted, proba, ["no", "yes"])
    assert omitted == {}
    assert scores["accuracy"] == 0.75
    assert scores["balanced_accuracy"] == 0.75
    assert scores["roc_auc"] == 1.0
    assert scores["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4, 0.7])))
    assert set(scores) <= set(METRICS)


def test_multiclass_auc_is_one_vs_rest_macro():
    y = np.array([0, 1, 2, 0, 1, 2])
    proba = np.eye(3)[[0, 1, 2, 0, 2, 2]] * 0.8 + 0.2 / 3
    scores, omitted = classification_scores(y, proba.argmax(axis=1), proba, [0, 1, 2])
    assert omitted == {}
    assert 0.5 < scores["roc_auc"] < 1.0
    assert scores["f1_macro"] == pytest.approx(np.mean([1.0, 2 / 3, 0.8]))


def test_auc_is_omitted_with_a_reason_when_the_rows_hold_one_class():
    proba = np.array([[0.3, 0.7], [0.4, 0.6]])
    scores, omitted = classification_scores(["a", "a"], ["b", "b"], proba, ["a", "b"])
    assert "roc_auc" not in scores and "single class" in omitted["roc_auc"]
    assert scores["accuracy"] == 0.0 and "log_loss" in scores


def test_multiclass_auc_is_omitted_when_a_class_is_absent():
    proba = np.full((2, 3), 1 / 3)
    scores, omitted = classification_scores([0, 1], [0, 1], proba, [0, 1, 2])
    assert "roc_auc" not in scores and omitted["roc_auc"].endswith("missing: 2")


def test_probability_scores_are_omitted_for_a_class_unseen_in_training():
    proba = np.array([[0.5, 0.5], [0.1, 0.9]])
    scores, omitted = classification_scores(["a", "z"], ["a", "b"], proba, ["a", "b"])
    assert set(omitted) == {"roc_auc", "log_loss"} and "never saw in training (z)" in omitted["log_loss"]
    assert scores["accuracy"] == 0.5


def test_regression_scores():
    scores, omitted = regression_scores([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 6.0])
    assert omitted == {}
    assert scores["rmse"] == pytest.approx(1.0)
    assert scores["mae"] == pytest.approx(0.5)
    assert scores["r2"] == pytest.approx(1 - 4 / 5)


def test_r2_is_omitted_on_a_single_row():
    scores, omitted = regression_scores([3.0], [2.0])
    assert scores == {"rmse": 1.0, "mae": 1.0} and "r2" in omitted
