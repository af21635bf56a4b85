"""Callbacks: the hooks fire, the built-ins do their job, and their parameters route from the net."""

import io

import numpy as np
import pytest
import torch
from joblib import Parallel, delayed
from sklearn.model_selection import GridSearchCV

from backend import NeuralNetClassifier, NeuralNetRegressor
from backend.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    GradientNormClipping,
    LRScheduler,
    PrintLog,
    ProgressReporter,
)
from backend.dataset import ValidSplit
from backend.modules import MLP


def regression_data(seed=0, n=200):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 5)
    return X, X @ rng.randn(5) + rng.randn(n) * 0.5


class HookRecorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, net, **kwargs):
        self.calls.append("train_begin")

    def on_epoch_begin(self, net, **kwargs):
        self.calls.append("epoch_begin")

    def on_batch_end(self, net, training=None, **kwargs):
        self.calls.append("train_batch" if training else "valid_batch")

    def on_grad_computed(self, net, named_parameters=None, **kwargs):
        assert named_parameters and all(p.grad is not None for _, p in named_parameters)
        self.calls.append("grad")

    def on_epoch_end(self, net, **kwargs):
        self.calls.append("epoch_end")

    def on_train_end(self, net, **kwargs):
        self.calls.append("train_end")


def test_hooks_fire_in_order():
    X, y = regression_data(n=40)
    recorder = HookRecorder()
    NeuralNetRegressor(MLP, callbacks=[recorder], max_epochs=2, batch_size=16, verbose=0).fit(X, y)
    # 32 training rows -> 2 batches, 8 validation rows -> 1 batch, per epoch
    epoch = ["epoch_begin", "grad", "train_batch", "grad", "train_batch", "valid_batch", "epoch_end"]
    assert recorder.calls == ["train_begin", *epoch, *epoch, "train_end"]


def test_history_indexing():
    X, y = regression_data()
    net = NeuralNetRegressor(MLP, max_epochs=3, verbose=0).fit(X, y)
    assert net.history[:, "epoch"] == [1, 2, 3]
    assert len(net.history[:, "train_loss"]) == 3
    assert net.history[-1]["epoch"] == 3
    batch_losses = net.history[-1, "batches", :, "train_loss"]
    assert len(batch_losses) == 2  # 160 training rows at the default batch size of 128
    assert net.history[-1, "train_loss"] == pytest.approx(np.average(batch_losses, weights=[128, 32]))
    with pytest.raises(KeyError, match="not recorded"):
        net.history[-1, "no_such_key"]


def test_progress_reporter_receives_each_epoch_as_it_ends():
    X, y = regression_data()
    records = []
    NeuralNetRegressor(MLP, callbacks=[ProgressReporter(records.append)], max_epochs=4, verbose=0).fit(X, y)
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert {"train_loss", "valid_loss", "dur"} <= set(records[0])
    assert "batches" not in records[0]


def test_print_log_prints_a_table_when_verbose(capsys):
    X, y = regression_data()
    NeuralNetRegressor(MLP, max_epochs=2, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["epoch", "train_loss", "valid_loss", "dur"]
    assert [line.split()[0] for line in lines[2:]] == ["1", "2"]


def test_print_log_is_silent_when_not_verbose(capsys):
    X, y = regression_data()
    NeuralNetRegressor(MLP, max_epochs=2, verbose=0).fit(X, y)
    assert capsys.readouterr().out == ""


def test_early_stopping_restores_the_best_epoch():
    X, y = regression_data()
    y_noise = np.random.RandomState(1).randn(len(y))  # nothing to learn: validation loss soon rises
    stopper = EarlyStopping(patience=3)
    net = NeuralNetRegressor(
        MLP, module__hidden_units=(128,), callbacks=[stopper], max_epochs=200, lr=0.02, verbose=0,
        train_split=ValidSplit(0.3, random_state=0), random_state=0,
    ).fit(X, y_noise)
    losses = net.history[:, "valid_loss"]
    assert len(losses) < 200
    _, valid = ValidSplit(0.3, random_state=0)(len(X))
    restored = float(np.mean((net.predict(X[valid]) - y_noise[valid]) ** 2))
    assert restored == pytest.approx(min(losses), rel=1e-4)


def test_callback_parameters_route_through_the_net():
    X, y = regression_data()
    net = NeuralNetRegressor(MLP, callbacks=[EarlyStopping(patience=50)], max_epochs=40, verbose=0)
    net.set_params(callbacks__EarlyStopping__patience=1, callbacks__EarlyStopping__threshold=10.0)
    net.fit(X, y)  # a threshold of 1000 % can never be beaten: stops after one miss
    assert len(net.history) == 2
    with pytest.raises(ValueError, match="no callback named 'Nope'"):
        NeuralNetRegressor(MLP, callbacks__Nope__x=1, verbose=0).fit(X, y)


def test_a_default_callback_can_be_switched_off(capsys):
    X, y = regression_data()
    NeuralNetRegressor(MLP, max_epochs=1, verbose=1, callbacks__print_log=None).fit(X, y)
    assert capsys.readouterr().out == ""


def test_lr_scheduler_changes_the_learning_rate():
    X, y = regression_data()
    scheduler = LRScheduler("StepLR", step_size=1, gamma=0.5)
    net = NeuralNetRegressor(MLP, lr=0.1, callbacks=[scheduler], max_epochs=3, verbose=0).fit(X, y)
    assert net.history[:, "lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_gradient_norm_clipping_bounds_the_gradient():
    X, y = regression_data()
    norms = []

    class NormProbe(Callback):
        def on_grad_computed(self, net, named_parameters=None, **kwargs):
            grads = [p.grad for _, p in named_parameters]
            norms.append(float(torch.nn.utils.get_total_norm(grads)))

    NeuralNetRegressor(
        MLP, callbacks=[GradientNormClipping(0.01), NormProbe()], max_epochs=1, verbose=0
    ).fit(X, y * 100)
    assert norms and max(norms) <= 0.01 + 1e-6


def test_epoch_scoring_records_a_scikit_learn_score():
    rng = np.random.RandomState(0)
    X = rng.randn(150, 3)
    y = (X[:, 0] > 0).astype(int)
    net = NeuralNetClassifier(
        MLP, callbacks=[EpochScoring("f1_macro", lower_is_better=False)], max_epochs=3, verbose=0
    ).fit(X, y)
    scores = net.history[:, "valid_f1_macro"]
    assert len(scores) == 3 and all(0 <= s <= 1 for s in scores)
    assert net.history[0, "valid_f1_macro_best"] is True
    assert 0 <= net.history[-1, "valid_acc"] <= 1


def _fit_with_checkpoint(seed):
    X, y = regression_data(seed)
    checkpoint = Checkpoint(monitor="valid_loss_best", load_best=True)
    net = NeuralNetRegressor(
        MLP, module__hidden_units=(64,), callbacks=[checkpoint], max_epochs=30, lr=0.05, verbose=0,
        train_split=ValidSplit(0.25, random_state=0), random_state=seed,
    )
    return net.fit(X, y)


def test_checkpoints_of_parallel_fits_never_collide(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything written to the working folder would be shared by both
    nets = Parallel(n_jobs=2)(delayed(_fit_with_checkpoint)(seed) for seed in (0, 1))
    for seed, net in zip((0, 1), nets, strict=True):
        X, y = regression_data(seed)
        _, valid = ValidSplit(0.25, random_state=0)(len(X))
        restored = float(np.mean((net.predict(X[valid]) - y[valid]) ** 2))
        assert restored == pytest.approx(min(net.history[:, "valid_loss"]), rel=1e-4)
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_to_a_folder_writes_loadable_weights(tmp_path):
    X, y = regression_data()
    checkpoint = Checkpoint(monitor=None, dirname=tmp_path)
    net = NeuralNetRegressor(MLP, callbacks=[checkpoint], max_epochs=2, verbose=0)
    net.fit(X, y)
    assert checkpoint.f_params_.parent == tmp_path and checkpoint.f_params_.suffix == ".pt"
    assert checkpoint.f_params_.name.startswith("params-")
    assert list(tmp_path.iterdir()) == [checkpoint.f_params_]  # one file per fit, no leftovers
    state = torch.load(checkpoint.f_params_, weights_only=True)
    assert all(torch.equal(state[k], v) for k, v in net.module_.state_dict().items())
    first = checkpoint.f_params_
    net.fit(X, y)  # a new fit writes a new file
    assert checkpoint.f_params_ != first and len(list(tmp_path.iterdir())) == 2


class RestoredLossProbe(Callback):
    """Placed after the checkpointing callbacks: records the valid loss of the weights training leaves."""

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        self.valid_ = dataset_valid

    def on_train_end(self, net, **kwargs):
        predicted = torch.as_tensor(net.predict(self.valid_.X))
        loss = float(torch.mean((predicted - self.valid_.y.double()) ** 2))
        net.history.record("restored_valid_loss", loss)
        del self.valid_


def _restored_gap(net, X, y):
    """0 when the weights left in the net are those of its best epoch."""
    return -abs(net.history[-1, "restored_valid_loss"] - min(net.history[:, "valid_loss"])) / min(
        net.history[:, "valid_loss"]
    )


def _best_before_last(net, X, y):
    losses = net.history[:, "valid_loss"]
    return float(int(np.argmin(losses)) < len(losses) - 1)


def _file_holds_the_restored_weights(net, X, y):
    checkpoint = dict(net.callbacks_)["Checkpoint"]
    state = torch.load(checkpoint.f_params_, weights_only=True)
    return float(all(torch.equal(state[k], v.cpu()) for k, v in net.module_.state_dict().items()))


def _search_with_checkpoints(dirname=None):
    X, y = regression_data(n=160)
    y = np.random.RandomState(1).randn(len(y))  # nothing to learn: the valid loss soon rises again
    net = NeuralNetRegressor(
        MLP, module__hidden_units=(64,), max_epochs=60, verbose=0, random_state=0,
        train_split=ValidSplit(0.3, random_state=0),
        callbacks=[
            EarlyStopping(patience=4),
            Checkpoint(monitor="valid_loss_best", load_best=True, dirname=dirname),
            RestoredLossProbe(),
        ],
    )
    scoring = {"gap": _restored_gap, "best_before_last": _best_before_last}
    if dirname is not None:
        scoring["own_file"] = _file_holds_the_restored_weights
    search = GridSearchCV(net, {"lr": [0.01, 0.03]}, cv=2, n_jobs=2, scoring=scoring, refit="gap", error_score="raise")
    return search.fit(X, y)


def test_grid_search_in_parallel_restores_each_fits_own_best_weights():
    search = _search_with_checkpoints()
    results = search.cv_results_
    gaps = np.r_[[results[f"split{i}_test_gap"] for i in range(2)]].ravel()
    assert np.abs(gaps).max() < 1e-4
    assert np.r_[[results[f"split{i}_test_best_before_last"] for i in range(2)]].mean() > 0.5
    assert _restored_gap(search.best_estimator_, None, None) > -1e-4


def test_grid_search_in_parallel_writes_one_checkpoint_file_per_fit(tmp_path):
    search = _search_with_checkpoints(dirname=tmp_path)
    results = search.cv_results_
    own = np.r_[[results[f"split{i}_test_own_file"] for i in range(2)]].ravel()
    assert own.tolist() == [1.0] * 4
    files = sorted(tmp_path.iterdir())
    assert len(files) == 4 + 1  # 2 candidates x 2 folds, and the refit
    assert all(f.suffix == ".pt" and not f.name.startswith(".") for f in files)
    assert _file_holds_the_restored_weights(search.best_estimator_, None, None) == 1.0


def test_print_log_sink_receives_lines():
    X, y = regression_data()
    sink = io.StringIO()
    NeuralNetRegressor(MLP, max_epochs=1, verbose=1, callbacks__print_log__sink=lambda line: sink.write(line + "\n")).fit(X, y)
    assert "train_loss" in sink.getvalue()
    assert isinstance(PrintLog().get_params(), dict)
