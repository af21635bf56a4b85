"""Awkward targets and hyperparameters at their edges: refused up front with the fix, or trained as meant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.data import check_target, infer_schema
from backend.evaluate import run_experiment
from backend.net import ModelTooLargeError, TrainingDivergedError
from backend.pipeline import build_pipeline
from backend.spec import ExperimentSpec, SpecError


def _frame(n: int = 40, **columns) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    base = {"x1": rng.normal(size=n), "x2": rng.normal(size=n), "y": np.arange(n) % 2}
    return pd.DataFrame(base | columns)


def _spec(target: str = "y", task: str = "classification", **training) -> ExperimentSpec:
    spec = ExperimentSpec.for_target(target, task)
    spec.evaluation.mode = "holdout"
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = training.pop("max_epochs", 2)
    spec.training.early_stopping = False
    for name, value in training.items():
        setattr(spec.training, name, value)
    return spec


def test_a_constant_target_is_refused_saying_there_is_nothing_to_learn():
    check = check_target(_frame(y=np.ones(40)), "y", "classification")
    assert not check.ok and "single class (1.0)" in check.errors[0] and "Choose a column" in check.errors[0]


def test_an_all_missing_target_is_refused():
    check = check_target(_frame(y=[np.nan] * 40), "y", "regression")
    assert check.errors == ["Every value of 'y' is missing. Choose a column that holds the target."]


def test_a_continuous_target_chosen_as_classification_is_refused_suggesting_regression():
    check = check_target(_frame(n=300, y=np.linspace(0, 1, 300)), "y", "classification")
    assert not check.ok and "Choose regression" in check.errors[0]


def test_a_continuous_target_with_few_distinct_fractions_is_refused_as_classification():
    values = np.round(np.random.default_rng(1).uniform(0, 3, 300), 1)  # 31 values such as 1.7, 2.3
    check = check_target(_frame(n=300, y=values), "y", "classification")
    assert not check.ok and "Choose regression" in check.errors[0]


def test_a_text_target_with_thousands_of_classes_is_refused_as_one_class_per_row():
    labels = [f"order-{i}" for i in range(3000)]
    check = check_target(_frame(n=3000, y=labels), "y", "classification")
    assert not check.ok
    assert "3000 classes" in check.errors[0] and "Choose" in check.errors[0]


def test_many_well_filled_text_classes_are_only_a_warning():
    labels = [f"kind-{i % 150}" for i in range(3000)]
    check = check_target(_frame(n=3000, y=labels), "y", "classification")
    assert check.ok and "150 classes" in check.warnings[0]


def test_a_high_cardinality_categorical_is_refused_before_it_one_hots_into_a_huge_width():
    n = 3000
    frame = _frame(n=n, city=[f"town {i % 2500}" for i in range(n)])
    with pytest.raises(SpecError, match=r"'city' has 2500 distinct values.*data.exclude"):
        build_pipeline(_spec(), frame, schema=infer_schema(frame))


def test_a_diverging_learning_rate_fails_clearly_naming_a_lower_rate():
    frame = _frame(n=64)
    frame["x2"] = frame["x1"] * 1e6
    spec = _spec(target="x2", task="regression", lr=1.0, optimizer="sgd", max_epochs=5)
    spec.data.numeric_scaler = "none"
    spec.data.scale_target = False
    with pytest.raises(TrainingDivergedError, match=r"Training diverged.*Lower the learning rate"):
        run_experiment(spec, frame)


def test_a_batch_larger_than_the_data_trains_in_one_batch():
    result = run_experiment(_spec(batch_size=4096), _frame(n=30))
    assert result.pipeline is not None and 0 <= result.summary["accuracy"]["mean"] <= 1


def test_zero_epochs_is_refused_with_the_allowed_range():
    spec = _spec()
    spec.training.max_epochs = 0
    with pytest.raises(SpecError, match=r"max_epochs.*0.*1"):
        spec.validate()


def test_huge_layers_are_refused_before_training_with_the_parameter_count():
    spec = _spec()
    spec.model.hidden_units = (4096, 4096, 4096, 4096)
    # 3 x 4096 x 4096 weights between the hidden layers alone
    with pytest.raises(ModelTooLargeError, match=r"50,\d{3},\d{3} parameters \(about 0.8 GB.*limit of 25,000,000"):
        run_experiment(spec, _frame(n=30))


def test_the_parameter_limit_is_a_setting(monkeypatch):
    monkeypatch.setenv("TORCHWORK_MAX_PARAMETERS", "20")
    with pytest.raises(ModelTooLargeError, match="TORCHWORK_MAX_PARAMETERS"):
        run_experiment(_spec(), _frame(n=30))


def test_more_epochs_than_the_limit_are_refused_naming_the_setting(monkeypatch):
    monkeypatch.setenv("TORCHWORK_MAX_EPOCHS", "50")
    spec = _spec(max_epochs=51)
    with pytest.raises(SpecError, match=r"training.max_epochs \(51\).*limit of 50.*TORCHWORK_MAX_EPOCHS"):
        spec.validate()
