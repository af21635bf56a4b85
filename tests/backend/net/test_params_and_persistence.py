"""Prefixed parameters, cloning, continued training and saving: what searches and pipelines rely on."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from backend import NeuralNetClassifier, NeuralNetRegressor
from backend.callbacks import EarlyStopping
from backend.modules import MLP
from backend.routing import UnknownParameterError


def data(n=120):
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, size=n)
    return rng.randn(n, 3) + y[:, None] * 2, y


def test_prefixed_parameters_round_trip_through_get_set_params_and_clone():
    net = NeuralNetClassifier(MLP, module__hidden_units=(8,), optimizer__weight_decay=0.01, iterator_train__drop_last=True)
    params = net.get_params()
    assert params["module__hidden_units"] == (8,)
    assert params["optimizer__weight_decay"] == 0.01
    net.set_params(module__hidden_units=(4, 4), lr=0.5)
    copy = clone(net)
    assert copy.get_params()["module__hidden_units"] == (4, 4)
    assert copy.lr == 0.5
    with pytest.raises(ValueError, match="Invalid parameter 'lrr'"):
        net.set_params(lrr=1)


def test_routed_parameters_reach_their_owner():
    X, y = data()
    net = NeuralNetClassifier(
        MLP, module__hidden_units=(5, 7), module__activation="tanh", optimizer=torch.optim.SGD,
        optimizer__momentum=0.9, criterion__label_smoothing=0.1, max_epochs=1, verbose=0,
    ).fit(X, y)
    widths = [layer.out_features for layer in net.module_.layers if isinstance(layer, torch.nn.Linear)]
    assert widths == [5, 7, 2]
    assert net.optimizer_.param_groups[0]["momentum"] == 0.9
    assert net.criterion_.label_smoothing == 0.1


@pytest.mark.parametrize(
    "param, message",
    [
        ("module__num_hidden", r"module__num_hidden: MLP.__init__\(\) accepts no parameter 'num_hidden'. It accepts: .*hidden_units"),
        ("optimizer__momentum", r"optimizer__momentum: Adam accepts no parameter 'momentum'"),
        ("criterion__nope", r"criterion__nope: CrossEntropyLoss accepts no parameter 'nope'"),
        ("iterator_train__shuffel", r"iterator_train__shuffel: the batch iterator accepts no parameter 'shuffel'.*shuffle"),
    ],
)
def test_unknown_routed_parameter_fails_before_training_with_accepted_names(param, message):
    X, y = data()
    net = NeuralNetClassifier(MLP, max_epochs=1, verbose=0, **{param: 1})
    with pytest.raises(UnknownParameterError, match=message):
        net.fit(X, y)
    assert not hasattr(net, "history_")


def test_unknown_prefix_is_named():
    X, y = data()
    with pytest.raises(TypeError, match="'modul__x'.*module__"):
        NeuralNetClassifier(MLP, modul__x=1, verbose=0).fit(X, y)


def test_grid_search_with_parallel_jobs_over_routed_and_callback_parameters():
    X, y = data()
    net = NeuralNetClassifier(MLP, callbacks=[EarlyStopping(patience=2)], max_epochs=5, verbose=0, random_state=0)
    grid = {"module__hidden_units": [(4,), (16,)], "callbacks__EarlyStopping__patience": [1, 3]}
    search = GridSearchCV(net, grid, cv=2, n_jobs=2, error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.predict(X).shape == (len(X),)


def test_warm_start_and_partial_fit_continue_the_history():
    X, y = data()
    net = NeuralNetClassifier(MLP, max_epochs=2, verbose=0, warm_start=True).fit(X, y)
    net.fit(X, y)
    assert net.history[:, "epoch"] == [1, 2, 3, 4]
    cold = NeuralNetClassifier(MLP, max_epochs=2, verbose=0).fit(X, y).fit(X, y)
    assert len(cold.history) == 2
    partial = NeuralNetClassifier(MLP, max_epochs=1, verbose=0)
    partial.partial_fit(X, y).partial_fit(X, y)
    assert len(partial.history) == 2


def test_save_params_and_load_params(tmp_path):
    X, y = data()
    net = NeuralNetClassifier(MLP, max_epochs=2, verbose=0).fit(X, y)
    net.save_params(f_params=tmp_path / "w.pt", f_optimizer=tmp_path / "o.pt", f_history=tmp_path / "h.json")
    fresh = NeuralNetClassifier(MLP, module__in_features=3, module__out_features=2, verbose=0).initialize()
    fresh.load_params(f_params=tmp_path / "w.pt", f_optimizer=tmp_path / "o.pt", f_history=tmp_path / "h.json")
    fresh.classes_ = net.classes_
    np.testing.assert_array_equal(fresh.predict_proba(X), net.predict_proba(X))
    assert fresh.history[:, "train_loss"] == net.history[:, "train_loss"]


def test_load_params_on_an_uninitialized_net_says_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="call net.initialize"):
        NeuralNetClassifier(MLP).load_params(f_params=tmp_path / "w.pt")


@pytest.mark.parametrize("dump, load", [(pickle.dumps, pickle.loads), (None, None)], ids=["pickle", "joblib"])
def test_pickled_net_predicts_the_same_and_keeps_training(dump, load, tmp_path):
    X, y = data()
    net = NeuralNetRegressor(MLP, max_epochs=2, verbose=0, warm_start=True).fit(X, y.astype(float))
    if dump is None:
        joblib.dump(net, tmp_path / "net.pkl")
        restored = joblib.load(tmp_path / "net.pkl")
    else:
        restored = load(dump(net))
    np.testing.assert_array_equal(restored.predict(X), net.predict(X))
    restored.fit(X, y.astype(float))  # optimizer state and callbacks survive the round trip
    assert len(restored.history) == 4
