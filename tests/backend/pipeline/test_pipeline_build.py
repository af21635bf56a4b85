import io

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import TransformedTargetRegressor

from backend.callbacks import EarlyStopping
from backend.data import load_sample
from backend.net import NeuralNetClassifier, NeuralNetRegressor
from backend.pipeline import build_pipeline, describe_pipeline, fitted_net
from backend.spec import ExperimentSpec, SpecError


def _customers(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    plan = rng.choice(["basic", "plus", "pro"], n)
    usage = rng.normal(10, 3, n) + (plan == "pro") * 5
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "usage": usage,
            "tenure": np.where(np.arange(n) % 9 == 0, np.nan, rng.integers(1, 60, n).astype(float)),
            "plan": plan.astype(object),
            "paperless": rng.random(n) > 0.5,
            "churn": np.where(usage > 12, "stays", "leaves"),
        }
    )


def _spec(target: str = "churn", task: str = "classification", **training) -> ExperimentSpec:
    spec = ExperimentSpec.for_target(target, task)
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.patience = 2
    for key, value in training.items():
        setattr(spec.training, key, value)
    return spec


def _fit(spec: ExperimentSpec, frame: pd.DataFrame, **kwargs):
    target = spec.data.target
    pipeline = build_pipeline(spec, frame, **kwargs)
    return pipeline.fit(frame.drop(columns=target), frame[target])


def _roundtrip(obj):
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def test_pipeline_has_preprocess_then_net_configured_from_the_spec():
    spec = _spec(lr=0.01, batch_size=16, optimizer="adamw", class_weight="balanced")
    spec.model.hidden_units = (12, 6)
    spec.model.activation = "tanh"
    pipeline = build_pipeline(spec, _customers())
    assert [name for name, _ in pipeline.steps] == ["preprocess", "net"]
    net = pipeline.named_steps["net"]
    assert isinstance(net, NeuralNetClassifier)
    params = net.get_params()
    assert params["lr"] == 0.01 and params["batch_size"] == 16 and params["max_epochs"] == 3
    assert params["optimizer"] is torch.optim.AdamW
    assert params["module__hidden_units"] == (12, 6) and params["module__activation"] == "tanh"
    assert params["class_weight"] == "balanced" and params["random_state"] == 0
    (stopper,) = [cb for cb in params["callbacks"] if isinstance(cb, EarlyStopping)]
    assert stopper.patience == 2 and stopper.load_best is True
    split = params["train_split"]
    assert (split.cv, split.stratified, split.random_state) == (0.2, True, 0)


def test_no_validation_split_and_no_early_stopping_when_turned_off():
    spec = _spec(early_stopping=False, valid_fraction=0.0)
    params = build_pipeline(spec, _customers()).named_steps["net"].get_params()
    assert params["train_split"] is None
    assert not [cb for cb in params["callbacks"] if isinstance(cb, EarlyStopping)]


def test_fitted_pipeline_predicts_original_labels_from_raw_rows():
    frame = _customers()
    pipeline = _fit(_spec(), frame)
    predicted = pipeline.predict(frame.drop(columns="churn"))
    assert set(predicted) <= {"stays", "leaves"}
    proba = pipeline.predict_proba(frame.head(5))
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_joblib_round_trip_predicts_the_same_labels_on_raw_rows():
    frame = _customers()
    reported = []
    pipeline = _fit(_spec(), frame, on_epoch=reported.append)
    assert [r["epoch"] for r in reported] == [1, 2, 3]
    loaded = _roundtrip(pipeline)
    rows = frame.drop(columns=["churn", "customer_id"]).sample(20, random_state=0)
    np.testing.assert_array_equal(loaded.predict(rows), pipeline.predict(rows))
    np.testing.assert_allclose(loaded.predict_proba(rows), pipeline.predict_proba(rows))


def test_unseen_category_and_missing_values_at_predict_do_not_fail():
    frame = _customers()
    pipeline = _fit(_spec(), frame)
    new = frame.drop(columns="churn").head(3).copy()
    new["plan"] = ["enterprise", None, "basic"]
    new.loc[new.index[0], "usage"] = np.nan
    assert len(pipeline.predict(new)) == 3


def test_regression_predicts_in_the_targets_units():
    frame = load_sample("diabetes")
    spec = _spec("disease_progression", "regression", lr=0.01)
    pipeline = _fit(spec, frame)
    assert isinstance(pipeline.named_steps["net"], TransformedTargetRegressor)
    assert isinstance(fitted_net(pipeline), NeuralNetRegressor)
    predicted = pipeline.predict(frame.drop(columns="disease_progression"))
    y = frame["disease_progression"]
    assert predicted.shape == (len(frame),)
    # A standardised target brings predictions to the target's scale even after three epochs.
    assert abs(predicted.mean() - y.mean()) < y.std()
    np.testing.assert_allclose(_roundtrip(pipeline).predict(frame.head(5)), predicted[:5], rtol=1e-5)


def test_regression_without_target_scaling_uses_the_bare_net():
    spec = _spec("disease_progression", "regression")
    spec.data.scale_target = False
    assert isinstance(build_pipeline(spec, load_sample("diabetes")).named_steps["net"], NeuralNetRegressor)


def test_build_pipeline_refuses_a_spec_that_does_not_fit_the_columns():
    with pytest.raises(SpecError, match="data.target = 'price' is not a column"):
        build_pipeline(_spec("price"), _customers())


@pytest.mark.parametrize("batch_norm", [False, True])
def test_describe_pipeline_counts_the_parameters_the_fitted_module_has(batch_norm):
    frame = _customers()
    spec = _spec()
    spec.model.hidden_units = (16, 8)
    spec.model.batch_norm = batch_norm
    spec.model.dropout = 0.1
    description = describe_pipeline(spec, frame)
    module = fitted_net(_fit(spec, frame)).module_
    assert description["network"]["n_params"] == sum(p.numel() for p in module.parameters())
    # usage, tenure; plan (3 categories); paperless (2).
    assert description["n_features"] == 7 and description["n_outputs"] == 2
    layers = description["network"]["layers"]
    assert layers[0]["type"] == "Linear" and layers[0]["output_shape"] == [None, 16]
    assert layers[-1]["output_shape"] == [None, 2]
    assert sum(layer["n_params"] for layer in layers) == description["network"]["n_params"]
    assert ("BatchNorm1d" in {layer["type"] for layer in layers}) == batch_norm


def test_describe_pipeline_lists_column_groups_with_their_steps():
    description = describe_pipeline(_spec(), _customers())
    groups = {g["group"]: g for g in description["columns"]}
    assert groups["numeric"]["columns"] == ["usage", "tenure"]
    assert groups["numeric"]["steps"] == ["SimpleImputer(strategy='median')", "StandardScaler()"]
    assert groups["categorical"]["columns"] == ["plan", "paperless"]
    assert groups["categorical"]["steps"][-1] == "OneHotEncoder(handle_unknown='ignore')"
    assert groups["categorical"]["n_features"] == 5
    assert description["dropped"] == {"customer_id": "role id_like"}


def test_describe_pipeline_counts_a_regressors_parameters_too():
    frame = load_sample("diabetes")
    spec = _spec("disease_progression", "regression")
    description = describe_pipeline(spec, frame)
    module = fitted_net(_fit(spec, frame)).module_
    # Nine numeric columns and sex, one-hot encoded in two columns.
    assert description["n_outputs"] == 1 and description["n_features"] == 11
    assert description["network"]["n_params"] == sum(p.numel() for p in module.parameters()) == 11 * 8 + 8 + 8 + 1
