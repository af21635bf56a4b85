"""Refits after set_params, reproducible splits, sample weights through the validation split, the defaults
users expect, and fitted classifiers that keep nothing of their training target."""

import pickle

import numpy as np
import pytest
import torch
from torch import nn

from backend import NeuralNetClassifier, NeuralNetRegressor
from backend.callbacks import Callback
from backend.dataset import ValidSplit
from backend.modules import MLP
from backend.net.base import resolve_device


def imbalanced(n=100, minority=10):
    X = np.zeros((n, 2))  # no signal: the net can only learn the (weighted) class priors
    y = np.r_[np.zeros(n - minority, dtype=int), np.ones(minority, dtype=int)]
    return X, y


def regression_data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    return X, X @ rng.randn(4) + rng.randn(n) * 0.3


# ---------------------------------------------------------------- refits after set_params


def test_refit_after_setting_balanced_class_weight_uses_the_weights():
    X, y = imbalanced()
    w = np.ones(len(y))
    settings = dict(max_epochs=40, lr=0.05, train_split=None, verbose=0, random_state=0)
    net = NeuralNetClassifier(MLP, **settings).fit(X, y, sample_weight=w)
    assert net.predict_proba(X[:1])[0, 1] < 0.2
    net.set_params(class_weight="balanced").fit(X, y, sample_weight=w)
    fresh = NeuralNetClassifier(MLP, class_weight="balanced", **settings).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(net.predict_proba(X), fresh.predict_proba(X))
    assert net.predict_proba(X[:1])[0, 1] == pytest.approx(0.5, abs=0.1)


def test_refit_after_setting_another_criterion_uses_it_with_sample_weight():
    X, y = regression_data()
    w = np.random.RandomState(1).rand(len(y))
    settings = dict(max_epochs=5, lr=0.05, verbose=0, random_state=0)
    net = NeuralNetRegressor(MLP, **settings).fit(X, y, sample_weight=w)
    net.set_params(criterion=nn.L1Loss).fit(X, y, sample_weight=w)
    fresh = NeuralNetRegressor(MLP, criterion=nn.L1Loss, **settings).fit(X, y, sample_weight=w)
    assert net.history[:, "train_loss"] == fresh.history[:, "train_loss"]
    np.testing.assert_array_equal(net.predict(X), fresh.predict(X))


def test_balanced_three_class_net_refits_on_two_classes_with_sample_weight():
    rng = np.random.RandomState(0)
    X = rng.randn(90, 3)
    settings = dict(class_weight="balanced", max_epochs=3, verbose=0, random_state=0)
    net = NeuralNetClassifier(MLP, **settings).fit(X, rng.randint(0, 3, 90), sample_weight=np.ones(90))
    y2 = rng.randint(0, 2, 90)
    net.fit(X, y2, sample_weight=np.ones(90))  # the 3-class weights must not survive the refit
    assert list(net.classes_) == [0, 1]
    fresh = NeuralNetClassifier(MLP, **settings).fit(X, y2, sample_weight=np.ones(90))
    np.testing.assert_array_equal(net.predict_proba(X), fresh.predict_proba(X))


# ---------------------------------------------------------------- reproducibility


def test_random_state_seeds_a_valid_split_that_has_none():
    X, y = regression_data()
    split = ValidSplit(0.25)
    make = lambda: NeuralNetRegressor(MLP, train_split=split, max_epochs=3, verbose=0, random_state=3)  # noqa: E731
    first, second = make().fit(X, y), make().fit(X, y)
    assert first.history[:, "valid_loss"] == second.history[:, "valid_loss"]
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    assert split.random_state is None  # the user's object is left as given
    # A split with its own seed keeps it.
    seeded = NeuralNetRegressor(MLP, train_split=ValidSplit(0.25, random_state=5), max_epochs=3, verbose=0, random_state=3)
    other = NeuralNetRegressor(MLP, train_split=ValidSplit(0.25, random_state=6), max_epochs=3, verbose=0, random_state=3)
    assert seeded.fit(X, y).history[:, "valid_loss"] != other.fit(X, y).history[:, "valid_loss"]


# ---------------------------------------------------------------- no training target in a fitted classifier


def _arrays_in(obj, seen=None):
    """Every numpy array / tensor reachable through attributes, dicts, lists and tuples."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray | torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _arrays_in(value, seen)
    elif isinstance(obj, list | tuple):
        for value in obj:
            yield from _arrays_in(value, seen)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        yield from _arrays_in(vars(obj), seen)


@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 1.0, 1: 2.0, 2: 1.0}])
def test_a_fitted_classifier_keeps_no_copy_of_its_training_target(class_weight):
    rng = np.random.RandomState(0)
    n = 137
    X, y = rng.randn(n, 3), rng.randint(0, 3, n)
    net = NeuralNetClassifier(MLP, class_weight=class_weight, max_epochs=2, verbose=0, random_state=0).fit(X, y)
    assert not [a for a in _arrays_in(net) if a.ndim >= 1 and len(a) in (n, int(n * 0.8))]
    restored = pickle.loads(pickle.dumps(net))
    assert not [a for a in _arrays_in(restored) if a.ndim >= 1 and len(a) in (n, int(n * 0.8))]
    assert y.astype(np.int64).tobytes()[:400] not in pickle.dumps(net)


# ---------------------------------------------------------------- sample_weight with a validation split


def test_sample_weight_is_split_with_X_and_y_and_weights_the_valid_loss():
    X, y = regression_data(n=200)
    w = np.random.RandomState(2).choice([0.0, 1.0, 3.0], size=len(y))
    split = ValidSplit(0.4, random_state=0)
    net = NeuralNetRegressor(MLP, train_split=split, batch_size=16, max_epochs=3, verbose=0, random_state=0)
    net.fit(X, y, sample_weight=w)
    _, valid = split(len(X))
    squared = (net.predict(X[valid]) - y[valid]) ** 2
    expected = np.average(squared, weights=w[valid])
    assert net.history[-1, "valid_loss"] == pytest.approx(expected, rel=1e-4)
    assert abs(net.history[-1, "valid_loss"] - squared.mean()) > 1e-3  # the weights changed something


def test_classifier_sample_weight_weights_training_and_the_valid_loss():
    X = np.zeros((200, 2))  # no signal: the net learns the weighted class priors, 1:3
    y = np.r_[np.zeros(100, dtype=int), np.ones(100, dtype=int)]
    w = np.where(y == 1, 3.0, 1.0)
    split = ValidSplit(0.3, random_state=0)
    net = NeuralNetClassifier(MLP, train_split=split, batch_size=32, max_epochs=30, lr=0.05, verbose=0, random_state=0)
    net.fit(X, y, sample_weight=w)
    assert net.predict_proba(X[:1])[0, 1] == pytest.approx(0.75, abs=0.05)
    _, valid = split(len(X), y, classifier=True)
    proba = net.predict_proba(X[valid])
    losses = -np.log(proba[np.arange(len(valid)), y[valid]])
    assert net.history[-1, "valid_loss"] == pytest.approx(np.average(losses, weights=w[valid]), rel=1e-4)


# ---------------------------------------------------------------- inputs


@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy", "tensor"])
def test_inf_in_X_is_refused_with_a_clear_message(as_tensor):
    X, y = regression_data()
    X[5, 2] = np.inf
    X = torch.as_tensor(X) if as_tensor else X
    with pytest.raises(ValueError, match="infinity"):
        NeuralNetRegressor(MLP, max_epochs=1, verbose=0).fit(X, y)


# ---------------------------------------------------------------- defaults


class BatchProbe(Callback):
    def initialize(self):
        self.first_train_batch = None
        self.valid_y = None
        return self

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.valid_y = dataset_valid.y.cpu().numpy()
        self.n_valid = len(dataset_valid)

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training and self.first_train_batch is None:
            self.first_train_batch = batch[0][:, 0].cpu().numpy()


def test_classifier_defaults_adam_cross_entropy_stratified_20_percent_and_shuffled_batches():
    n = 200
    X = np.arange(n, dtype=float)[:, None].repeat(2, axis=1)
    y = np.r_[np.zeros(160, dtype=int), np.ones(40, dtype=int)]
    probe = BatchProbe()
    net = NeuralNetClassifier(MLP, callbacks=[probe], batch_size=20, max_epochs=1, verbose=0, random_state=0).fit(X, y)
    assert isinstance(net.optimizer_, torch.optim.Adam)
    assert isinstance(net.criterion_, nn.CrossEntropyLoss)
    assert net.train_split == 0.2
    assert probe.n_valid == 40
    assert np.bincount(probe.valid_y).tolist() == [32, 8]  # the classes' 80/20 ratio, stratified
    first = probe.first_train_batch
    assert not np.array_equal(first, np.sort(first)) or first[0] != 0  # shuffled, not the rows in order


def test_regressor_defaults_adam_and_mse():
    X, y = regression_data()
    net = NeuralNetRegressor(MLP, max_epochs=1, verbose=0).fit(X, y)
    assert isinstance(net.optimizer_, torch.optim.Adam)
    assert isinstance(net.criterion_, nn.MSELoss)
    assert net.train_split == 0.2
    assert net.device == "auto"


def test_auto_device_is_cuda_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device(None) == torch.device("cuda")
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
