import pytest

from backend.spec import SEARCHABLE, ExperimentSpec, SearchSpec, SpecError, field_specs, parse_space


def _spec(mode: str = "random", **space) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("species")
    spec.search.mode = mode
    spec.search.space = space
    return spec


def test_a_spec_has_no_search_by_default_and_validates_as_before():
    spec = ExperimentSpec.for_target("species")
    assert spec.search == SearchSpec() and spec.search.mode == "none"
    spec.validate()


def test_values_lists_and_ranges_survive_the_json_round_trip():
    spec = _spec(
        lr={"low": 1e-4, "high": 0.1, "log": True},
        max_epochs={"values": [10, 20]},
        module__hidden_units=[[32], [64, 32]],
    )
    again = ExperimentSpec.from_json(spec.to_json())
    assert again == spec
    lr, epochs, units = parse_space(again.search.space)
    assert lr.is_range and lr.log and not lr.integer and (lr.low, lr.high) == (1e-4, 0.1)
    assert epochs.values == (10, 20)
    assert units.values == ([32], [64, 32])


def test_a_range_of_whole_numbers_samples_whole_numbers():
    (epochs,) = parse_space({"max_epochs": {"low": 5, "high": 50}})
    assert epochs.integer and not epochs.log


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"lr": {"values": []}}, "search.space['lr']: 'values' must be a non-empty list"),
        ({"lr": {"low": 0.1, "high": 0.01}}, "'low' (0.1) must be below 'high' (0.01)"),
        ({"lr": {"low": 0, "high": 0.1, "log": True}}, "a log-uniform range needs 'low' above 0"),
        ({"lr": {"low": 0.1}}, "a range needs 'low' and 'high'"),
        ({"lr": 0.1}, "give a list of values or a range"),
        ({"learning rate": [0.1]}, "a parameter name is letters, digits and underscores"),
    ],
)
def test_a_malformed_space_is_refused_naming_the_entry(space, message):
    with pytest.raises(SpecError) as caught:
        spec = _spec()
        spec.search.space = space
        spec.validate()
    assert message in str(caught.value)


def test_grid_search_needs_lists_not_ranges():
    spec = _spec("grid", lr={"low": 1e-4, "high": 0.1, "log": True}, max_epochs=[5, 10])
    with pytest.raises(SpecError, match="gives 'lr' a range, but grid search needs a list of values"):
        spec.validate()


def test_a_search_needs_at_least_one_parameter():
    with pytest.raises(SpecError, match="needs at least one hyperparameter in search.space"):
        _spec("halving").validate()


def test_the_scoring_metric_must_suit_the_task():
    spec = _spec(lr=[0.1, 0.01])
    spec.search.scoring = "rmse"
    with pytest.raises(SpecError, match="search.scoring = 'rmse' does not score classification"):
        spec.validate()
    spec.search.scoring = "log_loss"
    spec.validate()


def test_search_folds_must_fit_the_rarest_class():
    spec = _spec(lr=[0.1, 0.01])
    spec.search.folds = 4
    with pytest.raises(SpecError, match="search.folds = 4 but class 'b' has only 3 row"):
        spec.validate(n_rows=13, class_counts={"a": 10, "b": 3})
    spec.evaluation.stratified = False
    spec.validate(n_rows=13, class_counts={"a": 10, "b": 3})


def test_the_section_describes_its_fields_for_the_dashboard():
    fields = {fs.name: fs for fs in field_specs(SearchSpec)}
    assert fields["mode"].choices == ("none", "grid", "random", "halving")
    assert fields["space"].kind == "mapping" and fields["space"].default == {}
    assert fields["n_candidates"].min == 1 and fields["folds"].min == 2
    # Each searchable spec field names a real field of its section.
    spec = ExperimentSpec()
    for path in SEARCHABLE:
        section, name = path.split(".")
        assert hasattr(getattr(spec, section), name)
