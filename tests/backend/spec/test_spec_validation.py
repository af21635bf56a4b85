import dataclasses

import pytest

from backend.spec import (
    SECTIONS,
    DataSpec,
    EvaluationSpec,
    ExperimentSpec,
    ModelSpec,
    SpecError,
    TrainingSpec,
    field_specs,
)


def _spec(**sections) -> ExperimentSpec:
    """A valid classification spec with some fields replaced: _spec(training={"lr": 2.0})."""
    spec = ExperimentSpec.for_target("species")
    for name, values in sections.items():
        setattr(spec, name, dataclasses.replace(getattr(spec, name), **values))
    return spec


def _problems(spec: ExperimentSpec, **facts) -> list[str]:
    with pytest.raises(SpecError) as info:
        spec.validate(**facts)
    return info.value.problems


def test_defaults_validate_for_both_tasks():
    ExperimentSpec.for_target("y").validate()
    ExperimentSpec.for_target("y", task="regression").validate()


def test_default_spec_without_target_names_the_target():
    assert _problems(ExperimentSpec()) == ["data.target is empty: choose the column to predict"]


@pytest.mark.parametrize(
    ("section", "name", "value", "allowed"),
    [
        ("training", "lr", 2.0, "between 1e-06 and 1"),
        ("training", "lr", 0.0, "between 1e-06 and 1"),
        ("training", "batch_size", 0, "between 1 and 65536"),
        ("training", "max_epochs", 10001, "between 1 and 10000"),
        ("training", "patience", 0, "between 1 and 1000"),
        ("training", "valid_fraction", 0.6, "between 0 and 0.5"),
        ("model", "dropout", 0.95, "between 0 and 0.9"),
        ("evaluation", "folds", 1, "between 2 and 20"),
        ("evaluation", "folds", 21, "between 2 and 20"),
        ("evaluation", "holdout_fraction", 0.01, "between 0.05 and 0.5"),
        ("data", "max_categories", 1, "between 2 and 10000"),
    ],
)
def test_each_out_of_range_value_is_named_with_its_range(section, name, value, allowed):
    spec = _spec(**{section: {name: value}})
    if name in ("max_epochs", "patience"):
        spec.training.early_stopping = False
    assert _problems(spec) == [f"{section}.{name} = {value!r}: must be {allowed}"]


@pytest.mark.parametrize(
    ("section", "name", "value"),
    [
        ("data", "task", "clustering"),
        ("data", "numeric_scaler", "zscore"),
        ("model", "activation", "swish"),
        ("training", "optimizer", "lbfgs"),
        ("evaluation", "mode", "bootstrap"),
    ],
)
def test_a_value_outside_the_choices_lists_the_choices(section, name, value):
    (problem,) = _problems(_spec(**{section: {name: value}}))
    assert problem.startswith(f"{section}.{name} = {value!r}: must be one of ")
    fs = next(f for f in field_specs(SECTIONS[section]) if f.name == name)
    assert all(repr(choice) in problem for choice in fs.choices)


def test_wrong_types_are_reported_not_raised():
    problems = _problems(
        _spec(training={"batch_size": "64", "early_stopping": "yes"}, model={"dropout": None})
    )
    assert problems == [
        "model.dropout = None: must be a finite number",
        "training.batch_size = '64': must be a whole number",
        "training.early_stopping = 'yes': must be true or false",
    ]


def test_hidden_units_bounds_apply_to_each_layer_and_to_the_depth():
    assert _problems(_spec(model={"hidden_units": (8, 0, 5000)})) == [
        "model.hidden_units[1] = 0: must be between 1 and 4096",
        "model.hidden_units[2] = 5000: must be between 1 and 4096",
    ]
    (problem,) = _problems(_spec(model={"hidden_units": (8,) * 9}))
    assert "model.hidden_units" in problem and "between 1 and 8 items, not 9" in problem
    (problem,) = _problems(_spec(model={"hidden_units": ()}))
    assert "not 0" in problem


def test_every_problem_is_listed_at_once():
    spec = _spec(training={"lr": 5.0, "batch_size": 0}, evaluation={"folds": 50})
    problems = _problems(spec)
    assert len(problems) == 3
    with pytest.raises(SpecError, match="has 3 problems"):
        spec.validate()


def test_early_stopping_without_validation_split_is_refused():
    (problem,) = _problems(_spec(training={"valid_fraction": 0.0}))
    assert "training.early_stopping" in problem and "training.valid_fraction = 0" in problem
    _spec(training={"valid_fraction": 0.0, "early_stopping": False}).validate()


def test_valid_fraction_between_zero_and_minimum_is_refused():
    (problem,) = _problems(_spec(training={"valid_fraction": 0.01, "early_stopping": False}))
    assert (
        problem == "training.valid_fraction = 0.01: must be 0 (no validation split) or between 0.05 and 0.5"
    )


def test_patience_not_below_epochs_is_a_warning_and_the_spec_stays_valid():
    spec = _spec(training={"patience": 10, "max_epochs": 10})
    spec.validate()
    (warning,) = spec.warnings()
    assert "training.patience = 10 is not below training.max_epochs = 10" in warning
    assert "every epoch trains" in warning
    assert _spec(training={"patience": 10, "max_epochs": 10, "early_stopping": False}).warnings() == []
    assert _spec(training={"patience": 3, "max_epochs": 10}).warnings() == []
    # A patience out of range is a problem of its own, not also a warning.
    assert _spec(training={"patience": 0, "max_epochs": 1}).warnings() == []


def test_stratified_cv_on_regression_is_refused():
    spec = _spec(data={"task": "regression"}, evaluation={"stratified": True})
    (problem,) = _problems(spec)
    assert "evaluation.stratified = True" in problem and "regression" in problem
    spec.evaluation.stratified = False
    spec.validate()


def test_class_weight_on_regression_is_refused():
    spec = ExperimentSpec.for_target("y", task="regression")
    spec.training.class_weight = "balanced"
    (problem,) = _problems(spec)
    assert problem.startswith("training.class_weight = 'balanced' on a regression task")


def test_target_cannot_be_excluded():
    (problem,) = _problems(_spec(data={"exclude": ["species"]}))
    assert "data.exclude contains the target 'species'" in problem


def test_a_combination_reading_a_bad_field_is_not_reported_twice():
    # patience is out of range: the patience/epochs combination must not add a second problem.
    assert _problems(_spec(training={"patience": 0, "max_epochs": 1})) == [
        "training.patience = 0: must be between 1 and 1000"
    ]


def test_more_folds_than_rows_is_refused_when_rows_are_known():
    spec = _spec(evaluation={"folds": 5, "stratified": False})
    spec.validate(n_rows=5)
    (problem,) = _problems(spec, n_rows=4)
    assert problem == "evaluation.folds = 5 is more than the 4 rows with a target: use at most 4 folds"


def test_more_stratified_folds_than_rows_of_a_class_is_refused():
    spec = _spec(evaluation={"folds": 5})
    (problem,) = _problems(spec, n_rows=30, class_counts={"a": 27, "b": 3})
    assert "evaluation.folds = 5 but class 'b' has only 3 row(s)" in problem
    spec.evaluation.stratified = False
    spec.validate(n_rows=30, class_counts={"a": 27, "b": 3})


def test_a_class_with_one_row_cannot_be_stratified_into_folds():
    (problem,) = _problems(_spec(), n_rows=30, class_counts={"a": 29, "b": 1})
    assert problem.endswith("class 'b' has only 1 row(s): remove its rows, or turn stratification off")


def test_a_single_class_cannot_be_classified():
    (problem,) = _problems(_spec(), n_rows=10, class_counts={"a": 10})
    assert "has 1 class(es): classification needs at least 2" in problem


def test_stratified_holdout_needs_two_rows_per_class():
    spec = _spec(evaluation={"mode": "holdout"})
    (problem,) = _problems(spec, n_rows=21, class_counts={"a": 20, "b": 1})
    assert "class 'b' has only 1 row" in problem


def test_target_and_excluded_columns_must_exist_when_columns_are_known():
    spec = _spec(data={"exclude": ["id", "nope"]})
    problems = _problems(spec, columns=["id", "x"])
    assert problems == [
        "data.target = 'species' is not a column of the data; pick one of its columns",
        "data.exclude = ['nope']: not columns of the data; remove them from the list",
    ]
    spec.validate(columns=["id", "nope", "species"])


def test_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)


@pytest.mark.parametrize("section_cls", [DataSpec, ModelSpec, TrainingSpec, EvaluationSpec])
def test_field_specs_describe_every_field_for_widgets(section_cls):
    specs = field_specs(section_cls)
    assert [fs.name for fs in specs] == [f.name for f in dataclasses.fields(section_cls)]
    defaults = section_cls()
    for fs in specs:
        assert fs.label and fs.help.endswith(".")
        assert fs.default == getattr(defaults, fs.name)
        if fs.kind == "choice":
            assert fs.default in fs.choices
        if fs.kind in ("int", "float"):
            assert fs.min is not None and fs.max is not None
            assert fs.min <= fs.default <= fs.max


def test_field_specs_carry_the_documented_bounds():
    lr = next(fs for fs in field_specs(TrainingSpec) if fs.name == "lr")
    assert (lr.kind, lr.min, lr.max, lr.default) == ("float", 1e-6, 1.0, 1e-3)
    hidden = next(fs for fs in field_specs(ModelSpec) if fs.name == "hidden_units")
    assert (hidden.kind, hidden.min, hidden.max, hidden.min_items, hidden.max_items) == (
        "int_list",
        1,
        4096,
        1,
        8,
    )
