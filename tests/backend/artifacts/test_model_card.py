"""The model card written with every run: spec, data fingerprint and schema, scores with their spread,
training time, hardware, versions, seed, input format, and signed files it names by their SHA-256."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch

from backend.artifacts import ArtifactRejected, artifact_record, load_pipeline, verify_artifact
from backend.data import fingerprint, infer_schema
from backend.spec import ExperimentSpec


def _card(run) -> dict:
    return json.loads((run.folder / "model_card.json").read_text())


def test_the_card_holds_the_spec_and_its_seed(iris_run):
    card = _card(iris_run)
    assert ExperimentSpec.from_dict(card["spec"]) == iris_run.spec
    assert card["seed"] == iris_run.spec.training.seed == 0
    assert (
        card["run_id"] == iris_run.run_id and card["task"] == "classification" and card["target"] == "species"
    )
    assert card["classes"] == ["setosa", "versicolor", "virginica"]
    assert "in the order of 'classes'" in card["output"]["predict_proba"]


def test_the_card_fingerprints_the_data_and_describes_its_schema(diabetes_run):
    card = _card(diabetes_run)
    frame = diabetes_run.frame
    data = card["data"]
    assert data["sha256"] == fingerprint(frame) and data["fingerprint"] == "sha256:" + fingerprint(frame)
    assert (data["n_rows"], data["n_columns"]) == frame.shape == (442, 11)
    assert data["n_dropped_missing_target"] == 2 and data["n_rows_used"] == 440
    schema = infer_schema(frame)
    assert [(c["name"], c["role"], c["dtype"], c["n_missing"]) for c in data["columns"]] == [
        (c.name, c.role, c.dtype, c.n_missing) for c in schema
    ]


@pytest.mark.parametrize("run_name", ["iris_run", "diabetes_run"])
def test_the_card_reports_every_fold_and_the_spread_over_folds(run_name, request):
    run = request.getfixturevalue(run_name)
    card = _card(run)
    metrics = card["metrics"]
    folds = pd.DataFrame(run.store.get_result(run.run_id, "fold_scores"))
    assert metrics["evaluation"] == run.spec.evaluation.mode
    assert metrics["n_folds"] == len(metrics["folds"]) == len(folds) == (2 if run_name == "iris_run" else 1)
    assert metrics["summary"]
    for metric, stats in metrics["summary"].items():
        values = folds[metric].to_numpy(dtype=float)
        assert stats["mean"] == pytest.approx(values.mean())
        assert stats["std"] == pytest.approx(values.std())
        assert (stats["min"], stats["max"]) == (pytest.approx(values.min()), pytest.approx(values.max()))
        assert stats["n_folds"] == len(values)
    assert "ddof=0" in metrics["spread"]


def test_the_card_records_training_time_hardware_and_library_versions(iris_run):
    card = _card(iris_run)
    epochs = iris_run.store.epochs(iris_run.run_id)
    assert card["training"]["duration_s"] > 0
    assert card["training"]["final_fit_epochs"] == int((epochs["fold"] == -1).sum())
    assert card["training"]["fold_epochs"] == [int((epochs["fold"] == f).sum()) for f in (0, 1)]
    hardware = card["hardware"]
    assert hardware["device"] == "cpu" and hardware["cpu_count"] == os.cpu_count()
    assert hardware["machine"] and hardware["platform"] and hardware["torch_threads"] >= 1
    versions = card["versions"]
    assert torch.__version__.startswith(versions["torch"].split("+")[0])
    assert versions["scikit-learn"] == sklearn.__version__ and versions["numpy"] == np.__version__
    assert card["artifact"]["format"] == 1
    assert card["model"]["module"] == "MLP" and card["model"]["n_parameters"] == 4 * 8 + 8 + 8 * 3 + 3


def test_the_card_says_what_input_predict_expects(diabetes_run):
    card = _card(diabetes_run)
    columns = {c["name"]: c for c in card["input"]["columns"]}
    assert list(columns) == list(diabetes_run.features.columns)  # every column but the target
    assert all(c["used"] for c in columns.values())
    assert columns["sex"]["as"] == "categorical" and columns["bmi"]["as"] == "numeric"
    assert "may be absent" in card["input"]["target"] and card["input"]["extra_columns"] == "ignored"
    assert "median" in card["input"]["missing_values"]
    assert "units of 'disease_progression'" in card["output"]["predict"]


def test_the_example_names_every_training_column_with_a_real_value(iris_run):
    example = _card(iris_run)["example"]
    first = iris_run.features.iloc[0]
    for name, value in first.items():
        assert f"{name!r}: [{value!r}]" in example
    assert "joblib.load('pipeline.pkl')" in example and "pipeline.predict(rows)" in example
    compile(example, "example.py", "exec")


def test_the_card_names_the_signed_files_by_their_sha256(iris_run):
    card = _card(iris_run)
    files = card["artifact"]["files"]
    assert set(files) == {"pipeline", "data", "script", "onnx"}
    for entry in files.values():
        content = (iris_run.folder / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(content).hexdigest() and entry["bytes"] == len(content)
    assert card["artifact"]["script"] == {"exported": True}
    assert card["onnx"]["exported"] and card["onnx"]["parity"]["passed"]


def test_every_file_of_a_run_is_signed_with_its_kind(iris_run):
    summary = iris_run.store.get_run(iris_run.run_id)["summary"]
    assert summary["files"] == {
        "pipeline": "pipeline.pkl",
        "data": "data.parquet",
        "script": "reproduce.py",
        "onnx": "model.onnx",
        "model_card": "model_card.json",
        "model_card_md": "model_card.md",
        "oof": "oof.csv",
    }
    kinds = {}
    for kind, name in summary["files"].items():
        content = (iris_run.folder / name).read_bytes()
        assert verify_artifact(content, home=iris_run.home), name
        kinds[kind] = artifact_record(content, home=iris_run.home)["kind"]
    assert kinds == {
        "pipeline": "pipeline",
        "data": "data",
        "script": "script",
        "onnx": "onnx",
        "model_card": "model_card",
        "model_card_md": "model_card_md",
        "oof": "predictions",
    }
    # The data snapshot and the Markdown card are refused as pipelines, and a changed byte unsigns them.
    for name in ("data.parquet", "model_card.md"):
        content = (iris_run.folder / name).read_bytes()
        with pytest.raises(ArtifactRejected, match=r"it is a (data snapshot|model card \(Markdown\))"):
            load_pipeline(content, home=iris_run.home)
        changed = content[:-1] + bytes([content[-1] ^ 0xFF])
        assert not verify_artifact(changed, home=iris_run.home), name


def test_the_markdown_card_is_the_json_card_rendered(iris_run):
    from backend.artifacts.card_markdown import card_markdown

    text = (iris_run.folder / "model_card.md").read_text(encoding="utf-8")
    assert text == card_markdown(_card(iris_run))
    assert "Classification of `species`" in text and "| Accuracy |" in text


def test_the_card_of_a_text_model_names_the_column_of_texts_it_reads(reviews_run):
    card = _card(reviews_run)
    assert card["input"]["modality"] == "text" and card["input"]["column"] == "review"
    assert "texts" in card["input"]["reads"] and card["model"]["module"] == "TextRNN"
    assert "'review': [" in card["example"]
