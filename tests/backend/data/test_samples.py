"""Every bundled sample loads offline with its target, labels and task."""

import pandas as pd
import pytest

from backend.data import DEFAULT_SAMPLE, SAMPLES, SampleInfo, check_target, infer_task, load_sample

LABELS = {
    "breast_cancer": {"malignant", "benign"},
    "wine": {"cultivar_0", "cultivar_1", "cultivar_2"},
    "iris": {"setosa", "versicolor", "virginica"},
}


def test_the_four_samples_and_the_default_are_there():
    assert {"breast_cancer", "wine", "iris", "diabetes"} <= set(SAMPLES)
    assert DEFAULT_SAMPLE == "breast_cancer"
    assert all(isinstance(info, SampleInfo) and info.name == key for key, info in SAMPLES.items())


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_sample_loads_with_its_target_and_task(name):
    info = SAMPLES[name]
    df = load_sample(name)
    assert df.columns[-1] == info.target
    assert df.shape[0] > 100 and df.shape[1] > 4
    assert info.title and info.description
    assert infer_task(df[info.target]).task == info.task
    assert check_target(df, info.target, info.task, n_folds=5).ok
    assert not df.isna().any().any()


@pytest.mark.parametrize("name", sorted(LABELS))
def test_classification_samples_have_readable_labels(name):
    assert set(load_sample(name)[SAMPLES[name].target]) == LABELS[name]


def test_samples_keep_real_column_names():
    assert "mean radius" in load_sample("breast_cancer").columns
    assert "petal length (cm)" in load_sample("iris").columns
    assert {"age", "sex", "bmi", "bp"} <= set(load_sample("diabetes").columns)
    assert SAMPLES["diabetes"].target == "disease_progression"
    assert pd.api.types.is_float_dtype(load_sample("diabetes")["disease_progression"])


def test_a_loaded_sample_can_be_changed_without_changing_the_next_load():
    first = load_sample("iris")
    first.loc[0, "species"] = "changed"
    assert load_sample("iris").loc[0, "species"] == "setosa"


def test_unknown_sample_lists_the_available_ones():
    with pytest.raises(ValueError, match="Unknown sample 'titanic'. Available samples: breast_cancer, wine"):
        load_sample("titanic")
