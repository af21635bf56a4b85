"""Code export: the run's script, run on its own in a fresh process, rebuilds the pipeline from the spec and
reproduces the run's scores fold by fold (same seed, same folds)."""

from __future__ import annotations

import json
import runpy
import shutil
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from artifact_helpers import run_python

from backend.artifacts import CodeExportError, export_script
from backend.spec import ExperimentSpec


def _take_away(run, folder):
    """What a user downloads: the script and the data, in a folder of their own."""
    folder.mkdir()
    shutil.copy(run.folder / "reproduce.py", folder / "reproduce.py")
    shutil.copy(run.folder / "data.parquet", folder / "data.parquet")
    return folder


def _run_in_process(script, args, monkeypatch, capsys) -> str:
    """Run the script as ``python script args`` would, in this process (no second torch import)."""
    monkeypatch.chdir(script.parent)
    monkeypatch.setattr(sys, "argv", [str(script), *args])
    runpy.run_path(str(script), run_name="__main__")
    return capsys.readouterr().out


def _assert_reproduces(run, reproduced: dict) -> None:
    recorded = pd.DataFrame(run.store.get_result(run.run_id, "fold_scores"))
    folds = pd.DataFrame(reproduced["folds"])
    assert reproduced["same_data"] is True
    assert folds["fold"].tolist() == recorded["fold"].tolist()
    assert folds["n_test"].tolist() == recorded["n_test"].tolist()  # the same folds ...
    metrics = [m for m in recorded.columns if m not in ("fold", "n_train", "n_test", "epochs")]
    assert metrics and set(metrics) <= set(folds.columns)
    for metric in metrics:  # ... and the same scores, fold by fold
        np.testing.assert_allclose(folds[metric], recorded[metric], rtol=1e-6, atol=1e-9, err_msg=metric)
    scores = run.store.get_result(run.run_id, "scores")
    for metric, stats in reproduced["summary"].items():
        assert stats["mean"] == pytest.approx(scores[metric]["mean"], rel=1e-6)
        assert stats["std"] == pytest.approx(scores[metric]["std"], rel=1e-6, abs=1e-9)


def _assert_refit_predicts_as_the_run(run, refit_path) -> None:
    """--save fits on every row, as the run's final fit did: the same predictions as the run's pipeline."""
    rows = run.features.head(20)
    refit, original = joblib.load(refit_path), joblib.load(run.folder / "pipeline.pkl")
    if run.spec.data.task == "classification":
        assert refit.predict(rows).tolist() == original.predict(rows).tolist()
    else:
        np.testing.assert_allclose(refit.predict(rows), original.predict(rows), rtol=1e-6)


def test_the_exported_script_reproduces_the_runs_cv_scores_in_a_fresh_process(iris_run, tmp_path):
    folder = _take_away(iris_run, tmp_path / "download")
    output = run_python(folder / "reproduce.py", "--json", "--save", "refit.pkl", cwd=folder)
    _assert_reproduces(iris_run, json.loads(output))
    _assert_refit_predicts_as_the_run(iris_run, folder / "refit.pkl")


def test_the_exported_script_reproduces_a_holdout_regression_with_missing_targets(
    diabetes_run, tmp_path, monkeypatch, capsys
):
    folder = _take_away(diabetes_run, tmp_path / "download")
    output = _run_in_process(folder / "reproduce.py", ["--json", "--save", "refit.pkl"], monkeypatch, capsys)
    reproduced = json.loads(output)
    assert reproduced["folds"][0]["n_train"] + reproduced["folds"][0]["n_test"] == 440  # 2 rows lack a target
    _assert_reproduces(diabetes_run, reproduced)
    _assert_refit_predicts_as_the_run(diabetes_run, folder / "refit.pkl")


def test_the_script_prints_its_scores_beside_the_runs_and_notes_other_data(
    iris_run, tmp_path, monkeypatch, capsys
):
    folder = _take_away(iris_run, tmp_path / "download")
    # The same rows in another order: other data, as far as the fingerprint and the folds are concerned.
    iris_run.frame.iloc[::-1].to_csv(folder / "reversed.csv", index=False)
    output = _run_in_process(folder / "reproduce.py", ["reversed.csv"], monkeypatch, capsys)
    assert "reversed.csv differs from the run's data; the scores will differ too" in output
    recorded = iris_run.store.get_result(iris_run.run_id, "scores")["accuracy"]
    line = next(line for line in output.splitlines() if line.startswith("accuracy"))
    assert f"{recorded['mean']:.4f} ± {recorded['std']:.4f}" in line


def test_a_spec_with_awkward_names_exports_a_script_that_compiles():
    spec = ExperimentSpec.for_target('price """ in \\ euros', "regression")
    spec.data.exclude = ["it's", 'say "hi"', "naïve\n"]
    source = export_script(spec, data_file="my data's file.csv", run_id="abc")
    compile(source, "reproduce.py", "exec")
    namespace: dict = {}
    exec(compile(source.split("# What the run recorded")[0], "head", "exec"), namespace)
    assert namespace["SPEC"] == spec and namespace["DATA_FILE"] == "my data's file.csv"


def test_a_search_run_is_not_scripted_as_if_it_were_one_setting():
    spec = ExperimentSpec.for_target("species")
    spec.search.mode = "grid"
    with pytest.raises(CodeExportError, match="search.mode = 'grid'.*best candidate"):
        export_script(spec)


def test_the_exported_script_reproduces_a_text_models_scores(reviews_run, tmp_path, monkeypatch, capsys):
    folder = _take_away(reviews_run, tmp_path / "download")
    output = _run_in_process(folder / "reproduce.py", ["--json"], monkeypatch, capsys)
    _assert_reproduces(reviews_run, json.loads(output))


def test_an_image_runs_script_reproduces_its_scores_from_the_data_zip_on_another_machine(digits_run, tmp_path):
    files = digits_run.store.get_run(digits_run.run_id)["summary"]["files"]
    assert files["data"] == "data.zip"
    assert digits_run.frame["image"].str.startswith(str(digits_run.home)).all()  # paths into the home
    # What a user downloads, in a folder outside the home, run with another home ...
    folder = tmp_path / "download"
    folder.mkdir()
    shutil.copy(digits_run.folder / "reproduce.py", folder / "reproduce.py")
    shutil.copy(digits_run.folder / "data.zip", folder / "data.zip")
    # ... and the home's images out of reach, as on another machine.
    images = digits_run.home / "samples"
    hidden = tmp_path / "hidden"
    images.rename(hidden)
    try:
        output = run_python(
            folder / "reproduce.py", "--json", cwd=folder, env={"TORCHWORK_HOME": str(tmp_path / "other-home")}
        )
    finally:
        hidden.rename(images)
    _assert_reproduces(digits_run, json.loads(output))
    assert not (tmp_path / "other-home" / "samples").exists()  # the script did not fall back on the sample
