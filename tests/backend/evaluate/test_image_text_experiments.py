"""Image and text specs end to end: cross-validation, out-of-fold rows, and a pickle that takes raw input."""

from pathlib import Path

import joblib
import numpy as np
import pytest

from backend.data import load_sample
from backend.data.samples_images import load_digits_images
from backend.evaluate import run_experiment
from backend.pipeline import build_pipeline, describe_pipeline, fitted_net
from backend.runs.store import RunStore
from backend.runs.training import PIPELINE_FILE, train_run
from backend.spec import ExperimentSpec, SpecError


def _image_spec(**model) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("digit")
    spec.data.modality = "images"
    spec.data.image_size = 8
    spec.model.architecture = "convnet"
    spec.model.conv_channels = (8, 16)
    spec.model.batch_norm = True
    for key, value in model.items():
        setattr(spec.model, key, value)
    spec.training.max_epochs = 6
    spec.training.lr = 0.01
    spec.training.batch_size = 16
    spec.evaluation.folds = 3
    return spec


def _text_spec(architecture: str) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("sentiment")
    spec.data.modality = "text"
    spec.model.architecture = architecture
    spec.model.embedding_dim = 16
    spec.model.rnn_units = 16
    spec.training.max_epochs = 8
    spec.training.lr = 0.01
    spec.training.batch_size = 16
    spec.evaluation.folds = 3
    return spec


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    # 300 of the bundled digits as PNG files, written once for every test of this module.
    frame = load_digits_images(home=tmp_path_factory.mktemp("home"))
    return frame.sample(300, random_state=0).reset_index(drop=True)


def test_a_convnet_is_cross_validated_on_digit_images_and_its_pickle_predicts_from_paths_and_bytes(digits, tmp_path):
    result = run_experiment(_image_spec(augment_rotation=10.0), digits)
    assert len(result.fold_scores) == 3
    assert result.summary["accuracy"]["mean"] > 0.5  # ten classes: chance is 0.1
    assert sorted(result.oof["row"]) == list(range(300))
    assert {f"proba_{d}" for d in range(10)} <= set(result.oof.columns)

    joblib.dump(result.pipeline, tmp_path / "pipeline.pkl")
    pipeline = joblib.load(tmp_path / "pipeline.pkl")
    paths = digits["image"].head(20).tolist()
    from_paths = pipeline.predict(paths)
    from_bytes = pipeline.predict([Path(p).read_bytes() for p in paths])
    from_rows = pipeline.predict(digits.drop(columns=["digit"]).head(20))
    np.testing.assert_array_equal(from_paths, from_bytes)
    np.testing.assert_array_equal(from_paths, from_rows)
    assert set(from_paths) <= set(range(10))
    assert (from_paths == digits["digit"].head(20).to_numpy()).mean() > 0.5


@pytest.mark.parametrize("architecture", ["textrnn", "bag"])
def test_text_models_are_cross_validated_and_their_pickle_predicts_from_strings(architecture, tmp_path):
    frame = load_sample("demo_reviews")
    result = run_experiment(_text_spec(architecture), frame)
    assert result.summary["accuracy"]["mean"] > 0.7
    assert len(result.oof) == len(frame)

    joblib.dump(result.pipeline, tmp_path / "pipeline.pkl")
    pipeline = joblib.load(tmp_path / "pipeline.pkl")
    texts = ["The kettle is excellent. Five stars.", "This lamp broke after a week. Avoid it!", ""]
    assert set(pipeline.predict(texts)) <= {"positive", "negative"}
    np.testing.assert_allclose(pipeline.predict_proba(texts).sum(axis=1), 1.0, rtol=1e-5)
    assert list(pipeline.predict(texts[:2])) == ["positive", "negative"]


def test_a_pipeline_reading_images_lazily_through_workers_predicts_after_joblib_load(digits, tmp_path):
    spec = _image_spec()
    spec.training.max_epochs = 2
    spec.training.early_stopping = False
    spec.data.loader_workers = 2
    frame = digits.head(60)
    pipeline = build_pipeline(spec, frame).set_params(preprocess__output="dataset")
    pipeline.fit(frame.drop(columns=["digit"]), frame["digit"])
    assert fitted_net(pipeline).get_params()["iterator_train__num_workers"] == 2
    joblib.dump(pipeline, tmp_path / "pipeline.pkl")
    loaded = joblib.load(tmp_path / "pipeline.pkl")
    lazily = loaded.predict_proba(frame["image"].tolist())
    in_memory = loaded.set_params(preprocess__output="array").predict_proba(frame["image"].tolist())
    np.testing.assert_allclose(lazily, in_memory, atol=1e-5)


def test_describe_pipeline_shows_the_image_input_and_the_conv_layers(digits):
    description = describe_pipeline(_image_spec(), digits)
    assert description["input"] == {"kind": "images", "column": "image", "channels": 1, "size": [8, 8]}
    assert description["n_features"] == 64 and description["n_outputs"] == 10
    network = description["network"]
    assert network["input_shape"] == [None, 1, 8, 8]
    assert [layer["output_shape"] for layer in network["layers"] if layer["type"] == "Conv2d"] == [
        [None, 8, 8, 8],
        [None, 16, 4, 4],
    ]
    assert network["layers"][-1]["output_shape"] == [None, 10]


@pytest.mark.parametrize("architecture", ["textrnn", "bag"])
def test_describe_pipeline_shows_the_vocabulary_and_sequence_length(architecture):
    frame = load_sample("demo_reviews")
    description = describe_pipeline(_text_spec(architecture), frame)
    text_input = description["input"]
    assert text_input["kind"] == "text" and text_input["column"] == "review"
    assert text_input["vocabulary_size"] > 50 and 10 < text_input["sequence_length"] < 60
    assert description["network"]["input_shape"] == [None, text_input["sequence_length"]]
    assert description["network"]["layers"][-1]["output_shape"] == [None, 2]
    assert description["columns"][0]["columns"] == ["review"]


def test_the_input_column_is_found_or_named_clearly(digits):
    frame = digits.assign(note="x")
    assert build_pipeline(_image_spec(), frame).named_steps["preprocess"].column == "image"
    spec = _image_spec()
    spec.data.input_column = "picture"
    with pytest.raises(SpecError, match="'picture' is not a column"):
        build_pipeline(spec, frame)
    with pytest.raises(SpecError, match="no column of image files"):
        build_pipeline(_image_spec(), frame.drop(columns=["image"]))


def test_an_architecture_that_cannot_read_the_data_is_refused_before_training(digits):
    spec = _image_spec()
    spec.model.architecture = "textrnn"
    with pytest.raises(SpecError, match="'textrnn' cannot read data.modality = 'images': choose 'convnet'"):
        run_experiment(spec, digits)


def test_image_and_text_settings_survive_the_json_round_trip():
    spec = _image_spec(augment_flip=True)
    spec.data.image_color = "rgb"
    again = ExperimentSpec.from_json(spec.to_json())
    assert again == spec and again.model.conv_channels == (8, 16)


def test_a_training_job_on_images_saves_a_pipeline_that_reads_image_files(digits, tmp_path):
    store = RunStore(home=tmp_path / "home")
    try:
        spec = _image_spec()
        spec.training.max_epochs = 2
        spec.training.early_stopping = False
        spec.evaluation.folds = 2
        frame = digits.head(60)
        run_id = store.create_run(
            spec.to_dict(), frame, name="digits", dataset="digits", target="digit", task="classification"
        )
        train_run(store, run_id)
        pipeline = joblib.load(store.run_dir(run_id) / PIPELINE_FILE)
        assert pipeline.predict(frame["image"].head(5).tolist()).shape == (5,)
    finally:
        store.close()
