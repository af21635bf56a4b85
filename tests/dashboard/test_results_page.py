"""The Results page: scores per fold with mean ± std, curves, out-of-fold diagnostics and the downloads."""

from __future__ import annotations

import io
import json
import shutil

import joblib
import pytest

from backend.data import load_sample
from dashboard import services


def chart_titles(at) -> list[str]:
    titles = []
    for chart in at.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        titles.append(figure.get("layout", {}).get("title", {}).get("text", ""))
    return titles


def downloads(at) -> dict:
    return {d.label: d for d in at.get("download_button")}


def test_classification_results_show_folds_mean_std_confusion_and_roc(trained, open_page):
    run_id = trained["iris"]
    at = open_page("results", run=run_id)
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) >= {"Accuracy", "Balanced accuracy", "ROC AUC", "Log loss"}
    assert float(metrics["Accuracy"]) == pytest.approx(
        services.store().get_run(run_id)["summary"]["scores"]["accuracy"]["mean"], abs=5e-4
    )
    assert any(c.value.startswith("± ") and "std over folds" in c.value for c in at.caption)
    folds = at.dataframe[0].value
    assert folds["fold"].tolist() == [1, 2]
    assert "accuracy" in folds
    titles = chart_titles(at)
    assert "accuracy per fold" in titles
    assert "Confusion matrix (out-of-fold)" in titles
    assert "ROC (out-of-fold)" in titles
    assert {"loss", "acc"} <= set(titles)
    roc = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "ROC (" in c.proto.spec)
    assert all("pooled AUC" in t["name"] for t in roc["data"] if t.get("showlegend") is not False)
    note = " ".join(c.value for c in at.caption)
    assert "pooled together" in note and "mean over folds of each fold's AUC" in note


def test_regression_results_show_predicted_vs_actual_and_residuals(trained, open_page):
    at = open_page("results", run=trained["diabetes"])
    assert not at.exception
    titles = chart_titles(at)
    assert "Predicted vs actual (out-of-fold)" in titles
    assert "Residuals (out-of-fold)" in titles
    assert {"RMSE", "MAE", "R²"} <= {m.label for m in at.metric}


def test_holdout_results_show_one_split_without_spread(trained, open_page):
    at = open_page("results", run=trained["iris_holdout"])
    assert not at.exception and not at.error
    assert "Holdout scores" in [h.value for h in at.subheader]
    assert not any("std over folds" in c.value for c in at.caption)
    scores = at.dataframe[0].value
    assert len(scores) == 1 and "fold" not in scores and "accuracy" in scores
    titles = chart_titles(at)
    assert "Confusion matrix (holdout rows)" in titles and "accuracy per fold" not in titles
    # Only the held-out rows are predicted by a model that did not see them: the page says so.
    assert "Holdout predictions" in [h.value for h in at.subheader]
    captions = " ".join(c.value for c in at.caption)
    assert "Every row is predicted" not in captions
    assert "30 rows held out (20% of the data)" in captions


def test_downloads_are_the_pipeline_model_card_and_out_of_fold_csv(trained, open_page):
    run_id = trained["iris"]
    at = open_page("results", run=run_id)
    found = downloads(at)
    assert set(found) >= {"Fitted pipeline (.pkl)", "Model card (JSON)", "Out-of-fold predictions (CSV)"}
    folder = services.store().run_dir(run_id)
    # What the button serves is the run's file, which joblib opens and which predicts raw rows.
    pipeline = joblib.load(io.BytesIO((folder / "pipeline.pkl").read_bytes()))
    rows = load_sample("iris").drop(columns=["species"]).head(5)
    assert len(pipeline.predict(rows)) == 5
    card = json.loads((folder / "model_card.json").read_text())
    assert card["target"] == "species"


def test_picking_another_run_puts_it_in_view_and_in_the_url(trained, open_page):
    at = open_page("results", run=trained["iris"])
    at.selectbox(key="w.results.run").set_value(trained["diabetes"]).run()
    assert at.session_state["tw.run"] == trained["diabetes"]
    assert at.query_params["run"] == trained["diabetes"]


def test_without_runs_the_page_says_how_to_get_one(open_page):
    at = open_page("results")
    assert not at.exception
    assert "No runs yet" in at.info[0].value


def test_without_a_run_in_view_the_latest_succeeded_run_opens(trained_home, tmp_path, monkeypatch, open_page):
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    monkeypatch.setenv("TORCHWORK_HOME", str(home))
    store = services.store()
    newest = max(store.list_runs(status="succeeded"), key=lambda r: r["created_at"])
    cancelled = store.create_run(
        {"data": {"target": "species"}}, load_sample("iris"), name="stopped", dataset="iris",
        target="species", task="classification",
    )
    store.set_status(cancelled, "cancelled")
    at = open_page("results")
    assert not at.exception
    assert at.selectbox(key="w.results.run").value == newest["id"]
    assert at.metric  # its scores are shown


def test_epoch_axes_tick_whole_epochs_and_legends_sit_below_the_plot(trained, open_page):
    at = open_page("results", run=trained["iris"])
    curves = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"text":"loss"' in c.proto.spec)
    layout = curves["layout"]
    # Three epochs: a tick on each, no 1.5 between them; the first names the axis.
    assert layout["xaxis"]["tickvals"] == [1, 2, 3]
    assert layout["xaxis"]["ticktext"] == ["epoch 1", "2", "3"]
    assert layout["legend"]["yref"] == "container" and layout["legend"]["y"] == 0
