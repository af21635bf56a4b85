"""ONNX export of the fitted network (tables, images, text) and its parity with the PyTorch predictions."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime
import pytest
from torch import nn

from backend.artifacts import OnnxExportError, artifact_record, export_onnx, onnx_parity, to_onnx
from backend.modules import BagOfEmbeddings, ConvNet, TextRNN
from backend.net import NeuralNetClassifier, NeuralNetRegressor


def _session(data: bytes) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])


def test_a_runs_onnx_export_is_signed_and_its_parity_stored(iris_run):
    report = iris_run.store.get_result(iris_run.run_id, "onnx")
    assert report["exported"] and report["file"] == "model.onnx"
    parity = report["parity"]
    # Checked on the last fold's held-out rows (75 of iris' 150 in 2 folds).
    assert parity["n_rows"] == 75 and parity["compared"] == "probabilities"
    assert parity["passed"] and parity["max_abs_diff"] <= parity["atol"] and parity["label_agreement"] == 1.0
    assert report["inputs"] == [{"name": "input", "dtype": "float32", "shape": ["batch", 4]}]
    assert [o["name"] for o in report["outputs"]] == ["logits", "probabilities"]
    assert artifact_record(iris_run.folder / "model.onnx", home=iris_run.home)["kind"] == "onnx"


@pytest.mark.parametrize("n_rows", [1, 37])
def test_the_onnx_classifier_gives_the_pipelines_probabilities_for_any_batch_size(iris_run, n_rows):
    import joblib

    pipeline = joblib.load(iris_run.folder / "pipeline.pkl")
    rows = iris_run.features.sample(n_rows, random_state=1)
    session = _session((iris_run.folder / "model.onnx").read_bytes())
    logits, proba = session.run(None, {"input": pipeline[:-1].transform(rows)})
    np.testing.assert_allclose(proba, pipeline.predict_proba(rows), atol=1e-5)
    classes = json.loads(session.get_modelmeta().custom_metadata_map["classes"])
    assert list(np.asarray(classes)[logits.argmax(axis=1)]) == pipeline.predict(rows).tolist()


def test_the_onnx_regressor_predicts_in_the_targets_units(diabetes_run):
    import joblib

    pipeline = joblib.load(diabetes_run.folder / "pipeline.pkl")  # standardised target, batch norm
    rows = diabetes_run.features.iloc[100:160]
    session = _session((diabetes_run.folder / "model.onnx").read_bytes())
    (prediction,) = session.run(None, {"input": pipeline[:-1].transform(rows)})
    np.testing.assert_allclose(prediction[:, 0], pipeline.predict(rows), rtol=1e-5)
    assert prediction.std() > 1  # in the target's units, not standardised ones
    parity = diabetes_run.store.get_result(diabetes_run.run_id, "onnx")["parity"]
    assert parity["passed"] and parity["compared"] == "predictions"
    meta = session.get_modelmeta().custom_metadata_map
    names = json.loads(meta["feature_names"])  # the columns of pipeline[:-1].transform(rows), in order
    assert len(names) == session.get_inputs()[0].shape[1]
    assert "numeric__bmi" in names and any(name.startswith("categorical__sex") for name in names)


def test_the_parity_check_catches_a_graph_that_does_not_match(iris_run):
    import joblib

    from backend.modules import MLP

    pipeline = joblib.load(iris_run.folder / "pipeline.pkl")
    retrained = NeuralNetClassifier(
        MLP,
        max_epochs=1,
        verbose=0,
        random_state=5,
        train_split=None,
        device="cpu",
        module__hidden_units=(8,),
    ).fit(pipeline[:-1].transform(iris_run.features), iris_run.frame["species"])
    unrelated = to_onnx(retrained, pipeline[:-1].transform(iris_run.features))
    report = onnx_parity(unrelated, pipeline, iris_run.features)
    assert not report["passed"] and report["max_abs_diff"] > report["atol"]


def _fit(module, X, y, **params):
    return NeuralNetClassifier(
        module,
        max_epochs=2,
        verbose=0,
        random_state=0,
        train_split=None,
        device="cpu",
        batch_size=16,
        **params,
    ).fit(X, y)


def _token_ids(rng, n_rows: int, width: int, vocab: int) -> np.ndarray:
    """Right-padded token ids of varied lengths, one empty text, and ids the vocabulary never saw."""
    ids = rng.integers(2, vocab, size=(n_rows, width))
    lengths = rng.integers(0, width + 1, size=n_rows)
    ids[np.arange(width)[None, :] >= lengths[:, None]] = 0
    return ids


@pytest.mark.parametrize(
    "module, params",
    [
        pytest.param(BagOfEmbeddings, {"module__embedding_dim": 8}, id="bag-of-embeddings"),
        pytest.param(
            TextRNN,
            {
                "module__embedding_dim": 8,
                "module__hidden_size": 8,
                "module__num_layers": 2,
                "module__bidirectional": True,
            },
            id="textrnn-lstm-2-layers-bidirectional",
        ),
    ],
)
def test_text_models_export_with_parity_on_padded_and_unknown_tokens(module, params, tmp_path):
    rng = np.random.default_rng(0)
    X = _token_ids(rng, 60, 9, vocab=40)
    y = np.where(X[:, 0] > 20, "long", "short")
    net = _fit(module, X, y, **params)
    held_out = _token_ids(rng, 25, 9, vocab=60)  # ids 40-59 are unknown to the model
    held_out[0] = 0  # an empty text
    report = export_onnx(net, X, tmp_path / "text.onnx", parity_rows=held_out)
    assert report["inputs"] == [{"name": "input", "dtype": "int64", "shape": ["batch", 9]}]
    assert report["parity"]["passed"] and report["parity"]["label_agreement"] == 1.0
    session = _session((tmp_path / "text.onnx").read_bytes())
    _, proba = session.run(None, {"input": held_out[:1]})
    np.testing.assert_allclose(proba, net.predict_proba(held_out[:1]), atol=1e-5)


def test_an_image_model_exports_with_parity(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.normal(size=(48, 3, 12, 12)).astype(np.float32)
    y = np.where(images[:, 0].mean(axis=(1, 2)) > 0, "bright", "dark")
    net = _fit(ConvNet, images, y, module__channels=(4, 8), module__batch_norm=True, module__dropout=0.2)
    report = export_onnx(net, images, tmp_path / "images.onnx", parity_rows=rng.normal(size=(9, 3, 12, 12)))
    assert report["inputs"] == [{"name": "input", "dtype": "float32", "shape": ["batch", 3, 12, 12]}]
    assert report["parity"]["passed"] and report["parity"]["n_rows"] == 9


def test_a_network_onnx_cannot_express_is_refused_with_the_reason(tmp_path):
    class DataDependent(nn.Module):
        def __init__(self, in_features=None, out_features=None):
            super().__init__()
            self.a, self.b = nn.Linear(in_features, out_features), nn.Linear(in_features, out_features)

        def forward(self, x):
            return self.a(x) if x.sum() > 0 else self.b(x)  # a branch on the data's values

    X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    net = NeuralNetRegressor(DataDependent, max_epochs=1, verbose=0, train_split=None, device="cpu").fit(
        X, X[:, 0]
    )
    with pytest.raises(
        OnnxExportError, match="The DataDependent network could not be exported to ONNX .* use the .pkl"
    ):
        export_onnx(net, X, tmp_path / "net.onnx")
    assert not (tmp_path / "net.onnx").exists()


def test_the_graph_records_what_it_expects_and_who_made_it(iris_run):
    model = onnx.load(iris_run.folder / "model.onnx")
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["task"] == "classification" and meta["module"] == "MLP"
    assert json.loads(meta["classes"]) == ["setosa", "versicolor", "virginica"]
    assert len(json.loads(meta["feature_names"])) == 4 and "pipeline[:-1].transform(rows)" in meta["input"]
    assert model.producer_name == "torchwork"
    onnx.checker.check_model(model)


def test_a_text_runs_onnx_reads_token_ids_and_matches_the_pipeline(reviews_run):
    import joblib

    report = reviews_run.store.get_result(reviews_run.run_id, "onnx")
    assert report["exported"] and report["parity"]["passed"] and report["inputs"][0]["dtype"] == "int64"
    pipeline = joblib.load(reviews_run.folder / "pipeline.pkl")
    rows = reviews_run.features.head(7)
    session = _session((reviews_run.folder / "model.onnx").read_bytes())
    _, proba = session.run(None, {"input": pipeline[:-1].transform(rows)})
    np.testing.assert_allclose(proba, pipeline.predict_proba(rows), atol=1e-5)
