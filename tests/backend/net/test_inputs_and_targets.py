"""Inputs and targets that trip skorch up work here, and the ones that cannot work say why."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from torch import nn

from backend import NeuralNetClassifier, NeuralNetRegressor
from backend.modules import MLP
from backend.net import NonNumericInputError, TargetShapeError, TrainingDivergedError

FAST = dict(max_epochs=5, lr=0.05, verbose=0, random_state=0)


def blobs(n=120, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 3, size=n)
    X = rng.randn(n, 4) + y[:, None] * 3.0
    return X, y


@pytest.mark.parametrize(
    "labels",
    [
        np.array([10, 20, 30]),
        np.array(["cat", "dog", "emu"]),
        np.array([-1, 0, 1], dtype=np.int32),
        np.array([1.5, 2.5, 3.5]).astype(object).astype(str),
    ],
    ids=["ints", "strings", "int32", "float-strings"],
)
def test_classifier_returns_original_labels(labels):
    X, y = blobs()
    net = NeuralNetClassifier(MLP, max_epochs=20, lr=0.05, verbose=0, random_state=0).fit(X, labels[y])
    assert list(net.classes_) == sorted(labels)
    predicted = net.predict(X)
    assert predicted.dtype == labels[y].dtype
    assert set(predicted) <= set(labels)
    assert (predicted == labels[y]).mean() > 0.9


def test_bool_labels_and_bool_features():
    X, y = blobs()
    X_bool = X > 0
    net = NeuralNetClassifier(MLP, **FAST).fit(X_bool, y == 2)
    assert net.predict(X_bool).dtype == bool


def test_float64_and_int_inputs_are_cast():
    X, y = blobs()
    for X_in in (X.astype(np.float64), X.astype(np.float32), (X * 10).astype(np.int64)):
        net = NeuralNetClassifier(MLP, **FAST).fit(X_in, y)
        assert net.predict_proba(X_in).dtype == np.float32


def test_regression_1d_target_predicts_1d_and_2d_predicts_2d():
    X, y = blobs()
    target = X @ np.array([1.0, -2.0, 0.5, 0.0])
    net = NeuralNetRegressor(MLP, **FAST).fit(X, target)
    assert net.predict(X).shape == (len(X),)
    two = np.column_stack([target, -target])
    net2 = NeuralNetRegressor(MLP, **FAST).fit(X, two)
    assert net2.predict(X).shape == (len(X), 2)


def test_regression_output_that_cannot_match_the_target_fails_instead_of_broadcasting():
    X, y = blobs()
    net = NeuralNetRegressor(MLP, module__out_features=3, **FAST)
    with pytest.raises(TargetShapeError, match=r"shape \(\d+, 3\).*one output for a 1-D y"):
        net.fit(X, y.astype(float))


def test_classifier_output_size_must_match_the_classes():
    X, y = blobs()
    with pytest.raises(ValueError, match="3 classes: it must return one score per class"):
        NeuralNetClassifier(MLP, module__out_features=2, **FAST).fit(X, y)


def test_numeric_dataframe_and_series_work():
    X, y = blobs()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    net = NeuralNetClassifier(MLP, **FAST).fit(frame, pd.Series(y, name="target"))
    assert list(net.feature_names_in_) == ["a", "b", "c", "d"]
    assert net.predict(frame).shape == (len(frame),)


def test_dataframe_with_text_columns_names_them_and_points_to_the_pipeline():
    frame = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "city": ["a", "b", "a", "b"], "day": pd.date_range("2020", periods=4)})
    with pytest.raises(NonNumericInputError, match=r"'city'.*'day'.*build_pipeline"):
        NeuralNetClassifier(MLP, **FAST).fit(frame, [0, 1, 0, 1])


def test_sample_weight_weights_the_loss():
    # Constant inputs: a linear net can only learn the (weighted) mean of y.
    X = np.ones((100, 1))
    y = np.r_[np.zeros(50), np.full(50, 10.0)]
    settings = dict(module__hidden_units=(), max_epochs=60, lr=0.2, train_split=None, verbose=0, random_state=0)
    plain = NeuralNetRegressor(MLP, **settings).fit(X, y)
    weighted = NeuralNetRegressor(MLP, **settings).fit(X, y, sample_weight=np.r_[np.ones(50), np.zeros(50)])
    assert plain.predict(X[:1])[0] == pytest.approx(5.0, abs=0.5)
    assert weighted.predict(X[:1])[0] == pytest.approx(0.0, abs=0.5)


def test_balanced_class_weight_lifts_the_minority_class():
    X = np.zeros((100, 2))  # no signal: the net can only learn the (weighted) class priors
    y = np.r_[np.zeros(90, dtype=int), np.ones(10, dtype=int)]
    settings = dict(max_epochs=40, lr=0.05, train_split=None, verbose=0, random_state=0)
    plain = NeuralNetClassifier(MLP, **settings).fit(X, y)
    balanced = NeuralNetClassifier(MLP, class_weight="balanced", **settings).fit(X, y)
    assert plain.predict_proba(X[:1])[0, 1] < 0.2
    assert balanced.predict_proba(X[:1])[0, 1] == pytest.approx(0.5, abs=0.1)


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        NeuralNetClassifier(MLP).predict(np.zeros((2, 3)))


def test_nan_in_X_is_refused_with_a_clear_message():
    X, y = blobs()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        NeuralNetClassifier(MLP, **FAST).fit(X, y)


def test_diverging_loss_stops_with_advice_to_lower_the_learning_rate():
    X, y = blobs()
    net = NeuralNetRegressor(MLP, optimizer=torch.optim.SGD, lr=1e6, max_epochs=20, verbose=0, random_state=0)
    with pytest.raises(TrainingDivergedError, match="Lower the learning rate"):
        net.fit(X * 1000, y * 1000.0)


def test_one_class_target_is_refused():
    X, _ = blobs()
    with pytest.raises(ValueError, match="only 1 class"):
        NeuralNetClassifier(MLP, **FAST).fit(X, np.zeros(len(X)))


def test_same_seed_same_predictions_with_dropout_and_shuffling():
    X, y = blobs()
    make = lambda: NeuralNetClassifier(MLP, module__dropout=0.3, max_epochs=5, verbose=0, random_state=7)  # noqa: E731
    first, second = make().fit(X, y), make().fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    other = NeuralNetClassifier(MLP, module__dropout=0.3, max_epochs=5, verbose=0, random_state=8).fit(X, y)
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


def test_fit_leaves_the_global_torch_random_state_alone():
    X, y = blobs()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    NeuralNetClassifier(MLP, **FAST).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_tensor_input_works():
    X, y = blobs()
    net = NeuralNetClassifier(MLP, **FAST).fit(torch.as_tensor(X), torch.as_tensor(y))
    assert net.predict(torch.as_tensor(X[:4])).shape == (4,)


def test_module_instance_is_used_as_given():
    X, y = blobs()
    module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    net = NeuralNetClassifier(module, **FAST).fit(X, y)
    assert net.module_ is module
