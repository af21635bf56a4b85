"""The skorch tutorial's slides, written as a new user would, with imports from ``backend``."""

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from backend import NeuralNetClassifier, NeuralNetRegressor
from backend.callbacks import Checkpoint, EarlyStopping


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.layers(x)


class SizedNet(nn.Module):
    """SimpleNet with its hidden size as a parameter, so a search can vary it."""

    def __init__(self, num_hidden=64):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(10, num_hidden), nn.ReLU(), nn.Linear(num_hidden, 1))

    def forward(self, x):
        return self.layers(x)


class ImageClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(3, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1)
        )
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class TextClassifier(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 100)
        self.lstm = nn.LSTM(100, 64, batch_first=True)
        self.fc = nn.Linear(64, 2)

    def forward(self, x):
        x = self.embedding(x)
        _, (hidden, _) = self.lstm(x)
        return self.fc(hidden[-1])


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    return rng.randn(100, 10), rng.randn(100, 1), rng.randn(20, 10)  # float64, as the slides make it


@pytest.fixture
def model():
    return NeuralNetRegressor(
        SimpleNet, max_epochs=10, lr=0.01, iterator_train__shuffle=True, optimizer=torch.optim.Adam, verbose=0
    )


def test_slides_3_to_5_fit_float64_and_predict_shape(model, data):
    X, y, X_test = data
    model.fit(X, y)
    predictions = model.predict(X_test)
    assert predictions.shape == (20, 1)
    assert len(model.history) == 10
    assert np.isfinite(model.history[:, "train_loss"]).all()


def test_slide_8_cross_val_score(model, data):
    X, y, _ = data
    cv_scores = cross_val_score(model, X, y, cv=5, scoring="neg_mean_squared_error")
    assert cv_scores.shape == (5,)
    assert (-cv_scores > 0).all()


def test_slide_9_callbacks_stop_early_and_keep_best(data):
    X, y, _ = data
    callbacks = [EarlyStopping(patience=5), Checkpoint(monitor="valid_loss_best")]
    model = NeuralNetRegressor(SimpleNet, callbacks=callbacks, max_epochs=100, verbose=0, random_state=0)
    model.fit(X, y)
    # Pure-noise targets: validation loss stops improving long before 100 epochs.
    assert len(model.history) < 100
    assert model.history[-1, "stopped_early"] is True
    best_epoch = int(np.argmin(model.history[:, "valid_loss"])) + 1
    assert callbacks[1].best_epoch_ == best_epoch


def test_slide_10_grid_search_over_lr_epochs_and_module_size(data):
    X, y, _ = data
    model = NeuralNetRegressor(SizedNet, verbose=0, random_state=0)
    params = {"lr": [0.01, 0.001], "max_epochs": [10, 20], "module__num_hidden": [64, 128]}
    gs = GridSearchCV(model, params, cv=3)
    gs.fit(X, y)
    assert len(gs.cv_results_["params"]) == 8
    assert set(gs.best_params_) == {"lr", "max_epochs", "module__num_hidden"}
    assert gs.best_estimator_.module_.layers[0].out_features == gs.best_params_["module__num_hidden"]


def test_slide_10_on_a_module_without_that_parameter_names_it(model, data):
    X, y, _ = data
    params = {"lr": [0.01], "max_epochs": [10], "module__num_hidden": [64, 128]}
    with pytest.raises(ValueError, match="module__num_hidden: SimpleNet.__init__\\(\\) accepts no parameter 'num_hidden'"):
        GridSearchCV(model, params, cv=3, error_score="raise").fit(X, y)


def test_slide_11_joblib_round_trip(model, data, tmp_path):
    X, y, X_test = data
    model.fit(X, y)
    joblib.dump(model, tmp_path / "model.pkl")
    loaded_model = joblib.load(tmp_path / "model.pkl")
    np.testing.assert_array_equal(loaded_model.predict(X_test), model.predict(X_test))


def test_slide_12_pipeline(model, data):
    X, y, X_test = data
    pipeline = Pipeline([("scaler", StandardScaler()), ("net", model)])
    pipeline.fit(X, y)
    assert pipeline.predict(X_test).shape == (20, 1)


def test_slide_6_image_classifier():
    rng = np.random.RandomState(0)
    X = rng.rand(64, 3, 32, 32)  # float64 images
    y = rng.randint(0, 10, size=64)
    net = NeuralNetClassifier(ImageClassifier, max_epochs=2, lr=0.01, verbose=0, train_split=None)
    net.fit(X, y)
    proba = net.predict_proba(X[:5])
    assert proba.shape == (5, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(net.predict(X)) <= set(range(10))


def test_slide_7_text_classifier_on_token_ids():
    rng = np.random.RandomState(0)
    X = rng.randint(1, 500, size=(80, 12))  # int64 token ids must stay integers for the embedding
    y = np.where(X[:, 0] > 250, "positive", "negative")
    net = NeuralNetClassifier(TextClassifier, module__vocab_size=500, max_epochs=3, lr=0.01, verbose=0)
    net.fit(X, y)
    assert set(net.predict(X)) <= {"positive", "negative"}
    assert list(net.classes_) == ["negative", "positive"]
