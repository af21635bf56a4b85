"""Hyperparameter search in the dashboard: the Model page's search form and plan, the Train page's
leaderboard (kept when a search is cancelled), and the Results page's table and charts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from backend.data import load_sample
from backend.runs import JobRunner, RunStore
from dashboard import services
from tests.dashboard.conftest import tiny_spec, wait_for


def _search_spec(**space):
    spec = tiny_spec("species", "classification")
    spec.search.mode = "grid"
    spec.search.folds = 2
    spec.search.space = space
    return spec


@pytest.fixture(scope="module")
def search_home(tmp_path_factory) -> Path:
    """A home with one finished grid search on iris: lr in (0.01, 0.05) × 2 folds."""
    home = tmp_path_factory.mktemp("search") / "home"
    store = RunStore(home)
    spec = _search_spec(lr=[0.01, 0.05])
    spec.evaluation.folds = 3  # not used by a search: its candidates are scored on the search folds
    run_id = store.create_run(
        spec.to_dict(), load_sample("iris"), name="tiny search", dataset="iris", target="species",
        task="classification",
    )
    with JobRunner(store) as runner:
        runner.submit(run_id)
        assert wait_for(store, run_id)["status"] == "succeeded", store.get_run(run_id)["error"]
    (home / "run.txt").write_text(run_id)
    return home


@pytest.fixture
def search_run(search_home, monkeypatch) -> str:
    monkeypatch.setenv("TORCHWORK_HOME", str(search_home))
    return (search_home / "run.txt").read_text()


def _model_page_with_search(app):
    at = app.switch_page("views/model.py").run()
    at.selectbox(key="w.search.mode").set_value("grid").run()
    return at


def test_grid_search_form_shows_candidates_times_folds_and_stores_the_space(app, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHWORK_HOME", str(tmp_path))
    at = _model_page_with_search(app)
    at.text_input(key="w.search.space.training.lr").input("0.01, 0.05").run()
    at.text_input(key="w.search.space.training.max_epochs").input("2, 3").run()
    at.text_input(key="w.search.space.model.hidden_units").input("8; 16, 8").run()
    assert not at.exception
    markdown = " ".join(m.value for m in at.markdown)
    assert "8 candidates × 3 folds = 24 fits" in markdown
    space = at.session_state["tw.spec"]["search"]["space"]
    assert space == {
        "lr": {"values": [0.01, 0.05]},
        "max_epochs": {"values": [2, 3]},
        "module__hidden_units": {"values": [[8], [16, 8]]},
    }
    # The time estimate comes from one real timed fit, and says it is an estimate.
    estimate = next(b for b in at.button if b.label == "Estimate the time")
    estimate.click().run()
    assert any(i.value.startswith("**Estimate: about") and "one timed fit took" in i.value for i in at.info)


def test_search_form_explains_a_mistyped_value_and_a_range_in_a_grid(app, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHWORK_HOME", str(tmp_path))
    at = _model_page_with_search(app)
    at.text_input(key="w.search.space.training.lr").input("0.01, fast").run()
    assert any("'fast' is not a number" in e.value for e in at.error)
    at.text_input(key="w.search.space.training.lr").input("0.0001 .. 0.1 log").run()
    assert at.session_state["tw.spec"]["search"]["space"]["lr"] == {"low": 0.0001, "high": 0.1, "log": True}
    # Grid search cannot enumerate a range: the page says so before anything trains.
    assert any("grid search needs a list of values" in e.value for e in at.error)


def _search_controls(at) -> set[str]:
    keys = {w.key for kind in ("text_input", "multiselect") for w in getattr(at, kind)}
    return {k.removeprefix("w.search.space.") for k in keys if k.startswith("w.search.space.")}


def test_search_form_offers_the_settings_of_the_chosen_architecture(app):
    at = _model_page_with_search(app)
    assert {"model.hidden_units", "model.activation", "training.lr"} <= _search_controls(at)
    assert not {"model.conv_channels", "model.rnn_units", "model.embedding_dim"} & _search_controls(at)
    # Digit images: a ConvNet's blocks, kernel and pooling, never an MLP's hidden layers.
    at = at.switch_page("views/data.py").run()
    at = at.selectbox(key="w.data.sample").set_value("digits").run()
    at = _model_page_with_search(at)
    controls = _search_controls(at)
    assert {"model.conv_channels", "model.kernel_size", "model.pooling", "model.dropout", "training.lr"} <= controls
    assert not {"model.hidden_units", "model.rnn_units", "model.embedding_dim"} & controls
    at.text_input(key="w.search.space.model.conv_channels").input("4; 4, 8").run()
    at.text_input(key="w.search.space.model.kernel_size").input("3, 5").run()
    assert not at.exception
    assert at.session_state["tw.spec"]["search"]["space"] == {
        "module__channels": {"values": [[4], [4, 8]]},
        "module__kernel_size": {"values": [3, 5]},
    }
    assert "4 candidates × 3 folds = 12 fits" in " ".join(m.value for m in at.markdown)
    assert not at.error, [e.value for e in at.error]
    # Texts: a recurrent network's units and layers; the bag only its word vectors and dropout.
    at = at.switch_page("views/data.py").run()
    at = at.selectbox(key="w.data.sample").set_value("demo_reviews").run()
    at = _model_page_with_search(at)
    controls = _search_controls(at)
    assert {"model.rnn_units", "model.rnn_layers", "model.rnn_type", "model.embedding_dim"} <= controls
    assert not {"model.hidden_units", "model.conv_channels", "model.activation", "model.batch_norm"} & controls
    # What was searched for the ConvNet does not follow to a model that has no such setting.
    assert at.session_state["tw.spec"]["search"]["space"] == {}
    at = at.selectbox(key="w.model.architecture").set_value("bag").run()
    controls = _search_controls(at)
    assert {"model.embedding_dim", "model.dropout"} <= controls and "model.rnn_units" not in controls


def test_the_model_page_explains_a_searched_value_the_model_refuses_before_training(app):
    at = _model_page_with_search(app)
    at.text_input(key="w.search.space.model.dropout").input("0, 1.5").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "cannot train yet" in errors
    assert "**Dropout to try**: the value 1.5 is refused: dropout must be in [0, 1)" in errors
    assert not any("These settings are valid" in s.value for s in at.success)


def test_training_problems_name_a_searched_parameter_the_pipeline_lacks():
    from dashboard import jobs
    from dashboard.state import Dataset

    spec = _search_spec(module__hidden_unit=[[4], [8]])
    frame = load_sample("iris")
    problems, description = jobs.training_problems(Dataset(key="iris-test", label="iris"), frame, spec)
    assert description is None
    assert len(problems) == 1 and "'module__hidden_unit', which is not a parameter of MLP" in problems[0]
    assert "Did you mean 'module__hidden_units'" in problems[0]


def test_results_page_shows_the_full_table_parallel_coordinates_and_score_per_parameter(search_run, open_page):
    at = open_page("results", run=search_run)
    assert not at.exception and not at.error
    subheaders = [h.value for h in at.subheader]
    assert "Hyperparameter search" in subheaders
    assert "2-fold cross-validation of the best candidate" in subheaders
    table = at.dataframe[0].value
    assert len(table) == 2 and {"rank", "candidate", "lr", "Accuracy (mean)", "± std", "fold 1", "fold 2"} <= set(
        table.columns
    )
    assert sorted(table["lr"]) == [0.01, 0.05]
    best = services.store().get_result(search_run, "search")
    assert table.iloc[0]["candidate"] == best["best_candidate"] + 1
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    kinds = [f["data"][0]["type"] for f in figures if f.get("data")]
    assert "parcoords" in kinds
    titles = [f.get("layout", {}).get("title", {}).get("text", "") for f in figures]
    assert "Accuracy (mean) against lr" in titles
    # The best pipeline is the run's download, as for a single run.
    labels = {d.label for d in at.get("download_button")}
    assert "Fitted pipeline (.pkl)" in labels


def test_train_page_leaderboard_lists_each_candidate_with_mean_and_std(search_run, open_page):
    at = open_page("train", run=search_run)
    assert not at.exception
    assert "Leaderboard" in [h.value for h in at.subheader]
    board = at.dataframe[-1].value
    assert len(board) == 2 and board["rank"].tolist() == [1, 2]
    scores = board["Accuracy (mean)"].tolist()
    assert scores[0] >= scores[1]
    assert board["± std"].notna().all()


def test_a_cancelled_search_keeps_its_finished_candidates(tmp_path, monkeypatch, open_page):
    monkeypatch.setenv("TORCHWORK_HOME", str(tmp_path))
    store = RunStore(tmp_path)
    # The first candidate trains 2 epochs; the second trains until it is cancelled.
    spec = _search_spec(max_epochs=[2, 5000])
    spec.training.early_stopping = False
    run_id = store.create_run(
        spec.to_dict(), load_sample("iris"), name="cancelled search", dataset="iris", target="species",
        task="classification",
    )
    with JobRunner(store) as runner:
        runner.submit(run_id)
        deadline = time.monotonic() + 120
        while not store.events(run_id, "candidate_end") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert store.events(run_id, "candidate_end"), store.get_run(run_id)
        runner.cancel(run_id)
        assert wait_for(store, run_id)["status"] == "cancelled"
    at = open_page("results", run=run_id)
    assert not at.exception
    assert any("candidate(s) that finished are kept" in c.value for c in at.caption)
    kept = at.dataframe[0].value
    assert kept["candidate"].tolist() == [1] and kept["max_epochs"].tolist() == [2]
