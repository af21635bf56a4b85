"""Searching the settings of every zoo module: a ConvNet on digit images, a TextRNN and a bag of embeddings
on text. Their sizes (channels, vocabulary) come from the data, so checking a searched value must not
need them."""

import numpy as np
import pytest

from backend.compute import ComputeSettings
from backend.data import load_sample
from backend.data.samples_images import load_digits_images
from backend.evaluate import run_search
from backend.evaluate.search_space import candidate_spec, resolve_space
from backend.pipeline import build_pipeline, fitted_net
from backend.spec import ExperimentSpec, SpecError

LOCAL = ComputeSettings(n_jobs=1)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    # Six of each digit: 60 small PNG files.
    frame = load_digits_images(home=tmp_path_factory.mktemp("home"))
    return frame.groupby("digit").head(6).reset_index(drop=True)


@pytest.fixture(scope="module")
def reviews():
    return load_sample("demo_reviews").head(80)


def _image_spec(**space) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("digit")
    spec.data.modality = "images"
    spec.data.image_size = 8
    spec.model.architecture = "convnet"
    spec.model.conv_channels = (4,)
    spec.training.max_epochs = 2
    spec.training.batch_size = 16
    spec.training.early_stopping = False
    spec.search.mode = "grid"
    spec.search.folds = 2
    spec.search.space = space
    return spec


def _text_spec(architecture: str, **space) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("sentiment")
    spec.data.modality = "text"
    spec.model.architecture = architecture
    spec.model.embedding_dim = 8
    spec.model.rnn_units = 8
    spec.training.max_epochs = 2
    spec.training.batch_size = 16
    spec.training.early_stopping = False
    spec.search.mode = "grid"
    spec.search.folds = 2
    spec.search.space = space
    return spec


def test_a_convnet_search_over_channels_and_dropout_runs_and_refits_the_best(digits):
    spec = _image_spec(module__channels=[[4], [6, 8]], module__dropout=[0.0, 0.2])
    result = run_search(spec, digits, compute=LOCAL)
    assert len(result.cv_results) == 4 and result.n_fits == 8
    assert np.isfinite(result.cv_results["mean_test_score"]).all()
    module = fitted_net(result.best.pipeline).module_
    convs = [layer for layer in module.features if layer.__class__.__name__ == "Conv2d"]
    assert [c.out_channels for c in convs] == result.best_params["module__channels"]
    assert convs[0].in_channels == 1  # still the data's: the gray digits
    # The best candidate is a spec of its own: the conv blocks land in model.conv_channels.
    single = candidate_spec(spec, result.best_params)
    assert single is not None and single.model.conv_channels == tuple(result.best_params["module__channels"])


@pytest.mark.parametrize(
    ("architecture", "space", "check"),
    [
        ("textrnn", {"module__hidden_size": [4, 8], "module__rnn_type": ["lstm", "gru"]}, "hidden_size"),
        ("bag", {"module__embedding_dim": [4, 8], "module__dropout": [0.0, 0.3]}, "embedding_dim"),
    ],
)
def test_a_text_model_search_runs_and_refits_the_best(reviews, architecture, space, check):
    spec = _text_spec(architecture, **space)
    result = run_search(spec, reviews, compute=LOCAL)
    assert len(result.cv_results) == 4
    assert np.isfinite(result.cv_results["mean_test_score"]).all()
    net = fitted_net(result.best.pipeline)
    searched = f"module__{check}"
    assert net.get_params()[searched] == result.best_params[searched]
    # The vocabulary is still the data's, not the placeholder used to check the searched values.
    assert net.module_.vocab_size > 20
    assert candidate_spec(spec, result.best_params) is not None


@pytest.mark.parametrize(
    ("make", "space", "message"),
    [
        (_image_spec, {"module__kernel_size": [0, 3]}, "kernel_size must be a positive integer"),
        (_image_spec, {"module__hidden_units": [[8]]}, "not a parameter of ConvNet"),
        (lambda **s: _text_spec("textrnn", **s), {"module__rnn_type": ["lstm", "rnn"]}, "rnn_type"),
        (lambda **s: _text_spec("bag", **s), {"module__dropout": [0.0, 1.5]}, "dropout must be in"),
    ],
)
def test_a_value_a_zoo_module_refuses_is_named_before_any_training(digits, reviews, make, space, message):
    spec = make(**space)
    frame = digits if spec.data.modality == "images" else reviews
    with pytest.raises(SpecError, match=message):
        resolve_space(spec, build_pipeline(spec, frame))
