import json

import joblib
import numpy as np
import pytest

from backend.artifacts import load_pipeline
from backend.data import fingerprint, load_sample
from backend.runs.jobs import run_job_in_process
from backend.runs.status import RunStatus
from backend.runs.store import RunStore
from backend.runs.training import train_run
from backend.spec import ExperimentSpec, SpecError


def _spec(target: str, task: str = "classification") -> ExperimentSpec:
    spec = ExperimentSpec.for_target(target, task)
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.patience = 2
    spec.training.lr = 0.01
    spec.evaluation.folds = 2
    return spec


def _create(store: RunStore, spec: ExperimentSpec, frame) -> str:
    return store.create_run(
        spec.to_dict(),
        frame,
        name="test run",
        dataset="iris",
        target=spec.data.target,
        task=spec.data.task,
    )


@pytest.fixture
def store(tmp_path):
    store = RunStore(home=tmp_path / "home")
    yield store
    store.close()


def test_train_run_records_epochs_events_results_and_files(store):
    frame = load_sample("iris")
    run_id = _create(store, _spec("species"), frame)
    train_run(store, run_id)

    epochs = store.epochs(run_id)
    assert sorted(epochs["fold"].unique()) == [-1, 0, 1]
    assert (epochs.groupby("fold")["epoch"].apply(list) == [[1, 2, 3]] * 3).all()
    assert np.isfinite(epochs["train_loss"]).all()
    assert [e["payload"]["fold"] for e in store.events(run_id, "fold_end")] == [0, 1]
    progress = store.events(run_id, "progress")[-1]["payload"]
    assert progress["done"] == progress["total"] == 3

    results = store.results(run_id)
    assert [row["fold"] for row in results["fold_scores"]] == [0, 1]
    assert 0 <= results["scores"]["accuracy"]["mean"] <= 1
    assert results["classes"] == ["setosa", "versicolor", "virginica"]
    summary = store.get_run(run_id)["summary"]
    assert summary["headline"]["metric"] == "accuracy"
    assert summary["headline"]["mean"] == results["scores"]["accuracy"]["mean"]
    assert summary["n_rows"] == 150 and summary["evaluation"] == "cv"

    folder = store.run_dir(run_id)
    oof = (folder / summary["files"]["oof"]).read_text().splitlines()
    assert oof[0].startswith("row,fold,true,predicted,proba_setosa") and len(oof) == 151
    # The saved pipeline verifies, opens with plain joblib too, and predicts labels from raw rows.
    rows = frame.drop(columns="species").head(5)
    pipeline = load_pipeline(folder / "pipeline.pkl", home=store.home)
    assert set(pipeline.predict(rows)) <= {"setosa", "versicolor", "virginica"}
    np.testing.assert_array_equal(joblib.load(folder / "pipeline.pkl").predict(rows), pipeline.predict(rows))


def test_model_card_describes_spec_scores_data_and_versions(store):
    frame = load_sample("diabetes")
    spec = _spec("disease_progression", "regression")
    spec.evaluation.mode = "holdout"
    run_id = _create(store, spec, frame)
    train_run(store, run_id)
    card = json.loads((store.run_dir(run_id) / "model_card.json").read_text())
    assert ExperimentSpec.from_dict(card["spec"]) == spec
    assert card["seed"] == 0 and card["task"] == "regression" and card["classes"] == []
    assert set(card["metrics"]["summary"]) == {"rmse", "mae", "r2"}
    assert len(card["metrics"]["folds"]) == 1
    data = card["data"]
    assert data["n_rows"] == 442 and data["n_columns"] == 11
    assert data["fingerprint"] == "sha256:" + fingerprint(frame)
    assert [c["name"] for c in data["columns"]] == list(frame.columns)
    assert {"python", "torch", "scikit-learn", "numpy", "pandas"} <= set(card["versions"])
    assert "joblib.load" in card["how_to_load"]
    assert store.get_run(run_id)["summary"]["headline"]["metric"] == "r2"


def test_an_invalid_stored_spec_fails_before_anything_is_written(store):
    spec = _spec("species")
    spec.training.lr = 5.0
    run_id = _create(store, spec, load_sample("iris"))
    with pytest.raises(SpecError, match="training.lr = 5.0"):
        train_run(store, run_id)
    assert store.epochs(run_id).empty
    assert not (store.run_dir(run_id) / "pipeline.pkl").exists()


def test_the_default_job_of_a_run_is_train_run(store):
    good = _create(store, _spec("species"), load_sample("iris"))
    assert run_job_in_process(store, good) == RunStatus.SUCCEEDED
    assert (store.run_dir(good) / "pipeline.pkl").exists()
    bad = _spec("species")
    bad.evaluation.folds = 20
    bad_id = _create(store, bad, load_sample("iris").iloc[:53])
    assert run_job_in_process(store, bad_id) == RunStatus.FAILED
    assert "class 'versicolor' has only 3 row(s)" in store.get_run(bad_id)["error"]
