import json

import pytest

from backend.spec import ExperimentSpec, SpecError


def _edited() -> ExperimentSpec:
    spec = ExperimentSpec.for_target("price", task="regression")
    spec.data.exclude = ["id", "notes"]
    spec.model.hidden_units = (128, 64, 8)
    spec.model.dropout = 0.25
    spec.training.lr = 3e-4
    spec.training.optimizer = "sgd"
    spec.evaluation.mode = "holdout"
    return spec


def test_json_round_trip_restores_an_equal_spec():
    spec = _edited()
    again = ExperimentSpec.from_json(spec.to_json())
    assert again == spec
    assert again.model.hidden_units == (128, 64, 8)
    again.validate()


def test_to_dict_is_plain_json():
    payload = _edited().to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["model"]["hidden_units"] == [128, 64, 8]
    assert set(payload) == {"data", "model", "training", "evaluation", "search"}


def test_missing_keys_take_defaults():
    spec = ExperimentSpec.from_dict({"data": {"target": "y"}, "training": {"lr": 1}})
    assert spec.training.lr == 1.0 and isinstance(spec.training.lr, float)
    assert spec.training.batch_size == 64
    assert spec.model == ExperimentSpec().model


def test_unknown_keys_are_refused_with_their_names():
    with pytest.raises(SpecError) as info:
        ExperimentSpec.from_dict(
            {"data": {"target": "y", "colour": 1}, "training": {"lrr": 0.1}, "extra": {}}
        )
    message = str(info.value)
    for name in ("'colour'", "'lrr'", "'extra'"):
        assert name in message
    assert len(info.value.problems) == 3


def test_a_section_that_is_not_a_mapping_is_refused():
    with pytest.raises(SpecError, match="section 'model' must be a mapping"):
        ExperimentSpec.from_dict({"model": [1, 2]})


def test_invalid_json_is_a_spec_error():
    with pytest.raises(SpecError, match="not valid JSON"):
        ExperimentSpec.from_json("{not json")


def test_values_are_kept_for_validate_to_judge():
    spec = ExperimentSpec.from_dict({"data": {"target": "y"}, "training": {"lr": 7}})
    with pytest.raises(SpecError, match=r"training\.lr = 7\.0: must be between"):
        spec.validate()
