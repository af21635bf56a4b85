import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backend.data import load_sample
from backend.runs import RunStore
from backend.spec import ExperimentSpec

REPO = Path(__file__).resolve().parents[3]


def _run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TORCHWORK_HOME": str(home), "OMP_NUM_THREADS": "1"}
    env.pop("TORCHWORK_DASK_SCHEDULER", None)
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def files(tmp_path):
    load_sample("iris").to_csv(tmp_path / "iris.csv", index=False)
    spec = ExperimentSpec.for_target("species")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.early_stopping = False
    spec.search.mode = "grid"
    spec.search.folds = 2
    spec.search.space = {"lr": [0.005, 0.05], "max_epochs": [2, 3]}
    (tmp_path / "search.json").write_text(spec.to_json())
    return tmp_path


def test_a_search_spec_runs_end_to_end_into_the_run_store(files, tmp_path):
    home = tmp_path / "home"
    done = _run(
        "run",
        str(files / "search.json"),
        "--data",
        str(files / "iris.csv"),
        "--name",
        "cli search",
        home=home,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "grid search of 4 candidates × 2 folds (9 fits) in this process on 150 rows of iris.csv" in out
    assert "[9/9] Search done" in out and out.count("  candidate ") == 4
    assert "succeeded" in out and "best of 4 candidates by accuracy: lr=" in out

    store = RunStore(home)
    (run,) = store.list_runs()
    assert run["name"] == "cli search" and run["dataset"] == "iris.csv" and run["status"] == "succeeded"
    assert len(store.get_result(run["id"], "cv_results")) == 4
    assert f"pipeline: {store.run_dir(run['id']) / 'pipeline.pkl'}" in out
    assert (store.run_dir(run["id"]) / "pipeline.pkl").exists()


def test_a_cross_validation_spec_runs_end_to_end_into_the_run_store(files, tmp_path):
    spec = ExperimentSpec.from_json((files / "search.json").read_text())
    spec.search.mode = "none"
    spec.search.space = {}
    spec.evaluation.mode = "cv"
    spec.evaluation.folds = 3
    (files / "cv.json").write_text(spec.to_json())
    home = tmp_path / "home"
    done = _run("run", str(files / "cv.json"), "--data", str(files / "iris.csv"), home=home)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "3-fold cross-validation, then a fit on every row on 150 rows of iris.csv" in out
    assert all(f"  fold {k}: accuracy " in out for k in (1, 2, 3)), out
    assert "succeeded" in out and "  accuracy: " in out and "best of" not in out

    store = RunStore(home)
    (run,) = store.list_runs()
    assert run["name"] == "cv" and run["status"] == "succeeded"
    assert len(store.get_result(run["id"], "fold_scores")) == 3
    assert f"pipeline: {store.run_dir(run['id']) / 'pipeline.pkl'}" in out
    assert (store.run_dir(run["id"]) / "pipeline.pkl").exists()


def test_a_run_that_diverges_exits_1_saying_why_and_is_stored_as_failed(tmp_path):
    # A target a million times its input, left unscaled, and SGD at lr=1: the loss overflows at once.
    x = np.random.default_rng(0).normal(size=64)
    pd.DataFrame({"x1": x, "x2": x * 1e6}).to_csv(tmp_path / "huge.csv", index=False)
    spec = ExperimentSpec.for_target("x2", "regression")
    spec.model.hidden_units = (8,)
    spec.data.numeric_scaler = "none"
    spec.data.scale_target = False
    spec.training.optimizer = "sgd"
    spec.training.lr = 1.0
    spec.training.max_epochs = 5
    spec.training.early_stopping = False
    spec.evaluation.mode = "cv"
    spec.evaluation.folds = 2
    (tmp_path / "diverging.json").write_text(spec.to_json())
    home = tmp_path / "home"
    done = _run("run", str(tmp_path / "diverging.json"), "--data", str(tmp_path / "huge.csv"), home=home)
    assert done.returncode == 1, done.stdout + done.stderr
    (run,) = RunStore(home).list_runs()
    assert run["status"] == "failed"
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith(f"Run {run['id']} failed: ") and "Training diverged" in last, done.stdout
    assert "Lower the learning rate" in last
    assert "Traceback" not in done.stdout + done.stderr


def test_a_bad_spec_fails_cleanly_before_anything_is_stored(files, tmp_path):
    home = tmp_path / "home"
    (files / "bad.json").write_text('{"data": {"target": "species"}, "training": {"lr": 7}}')
    done = _run("run", str(files / "bad.json"), "--data", str(files / "iris.csv"), home=home)
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"error: {files / 'bad.json'}: training.lr = 7.0: must be between 1e-06 and 1"
    )
    assert "Traceback" not in done.stderr and not (home / "runs.db").exists()

    (files / "broken.json").write_text('{"data": ')
    done = _run("run", str(files / "broken.json"), "--data", str(files / "iris.csv"), home=home)
    assert done.returncode == 2 and "the spec is not valid JSON" in done.stderr


def test_an_unknown_search_parameter_fails_cleanly_naming_it(files, tmp_path):
    spec = ExperimentSpec.from_json((files / "search.json").read_text())
    spec.search.space = {"lr": [0.01], "max_epoch": [2]}
    (files / "typo.json").write_text(spec.to_json())
    done = _run("run", str(files / "typo.json"), "--data", str(files / "iris.csv"), home=tmp_path / "home")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "search.space names 'max_epoch'" in done.stderr and "Did you mean 'max_epochs'" in done.stderr


def test_a_bad_data_file_fails_cleanly(files, tmp_path):
    home = tmp_path / "home"
    missing = _run("run", str(files / "search.json"), "--data", str(files / "nope.csv"), home=home)
    assert missing.returncode == 2 and f"error: {files / 'nope.csv'}: No file at" in missing.stderr
    (files / "other.csv").write_text("a,b\n1,2\n3,4\n")
    other = _run("run", str(files / "search.json"), "--data", str(files / "other.csv"), home=home)
    assert other.returncode == 2
    assert "data.target = 'species' is not a column of the data" in other.stderr
    assert "Traceback" not in missing.stderr + other.stderr


def test_help_lists_the_run_command_and_its_options(tmp_path):
    done = _run("run", "--help", home=tmp_path / "home")
    assert done.returncode == 0
    for option in ("SPEC", "--data", "--sheet", "--home", "--name", "--n-jobs", "--scheduler", "--quiet"):
        assert option in done.stdout


def test_a_model_card_trains_the_spec_it_holds_and_a_holdout_score_has_no_spread(files, tmp_path):
    spec = ExperimentSpec.from_json((files / "search.json").read_text())
    spec.search.mode, spec.search.space = "none", {}
    spec.evaluation.mode = "holdout"
    spec.training.early_stopping, spec.training.patience = True, 5  # patience above the 3 epochs: a warning
    card = {"card_version": 1, "run_id": "abc12345", "task": "classification", "spec": spec.to_dict(), "seed": 0}
    (files / "abc12345_model_card.json").write_text(json.dumps(card))
    home = tmp_path / "home"
    done = _run("run", str(files / "abc12345_model_card.json"), "--data", str(files / "iris.csv"), home=home)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "warning: training.patience = 5 is not below training.max_epochs = 3" in out
    assert "a holdout fit, then a fit on every row on 150 rows of iris.csv" in out
    (score,) = [line for line in out.splitlines() if line.startswith("  accuracy: ")]
    assert "±" not in score and score.endswith("(holdout)")
    (run,) = RunStore(home).list_runs()
    assert run["status"] == "succeeded" and run["spec"]["evaluation"]["mode"] == "holdout"


def test_a_model_card_without_a_spec_says_so(files, tmp_path):
    (files / "card.json").write_text(json.dumps({"card_version": 1, "run_id": "x"}))
    done = _run("run", str(files / "card.json"), "--data", str(files / "iris.csv"), home=tmp_path / "home")
    assert done.returncode == 2 and "this is a model card without a 'spec' field" in done.stderr
