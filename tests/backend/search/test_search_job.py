import json

import pytest

from backend.artifacts import load_pipeline
from backend.data import load_sample
from backend.pipeline import fitted_net
from backend.runs import RunStatus, RunStore, run_job_in_process
from backend.spec import ExperimentSpec


def _search_spec(**space) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("species")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.early_stopping = False
    spec.search.mode = "grid"
    spec.search.folds = 2
    spec.search.space = space
    return spec


@pytest.fixture
def store(tmp_path):
    store = RunStore(tmp_path / "home")
    yield store
    store.close()


def _create(store: RunStore, spec: ExperimentSpec, frame) -> str:
    return store.create_run(
        spec.to_dict(), frame, name="search", dataset="iris", target=spec.data.target, task=spec.data.task
    )


def test_a_search_run_stores_cv_results_whole_and_the_best_pipeline_as_its_artifact(store):
    frame = load_sample("iris")
    run_id = _create(store, _search_spec(lr=[0.003, 0.05], module__hidden_units=[[4], [8]]), frame)
    assert run_job_in_process(store, run_id) == RunStatus.SUCCEEDED

    results = store.results(run_id)
    table = results["cv_results"]
    assert len(table) == 4 and [row["candidate"] for row in table] == [0, 1, 2, 3]
    assert {
        "params",
        "param_lr",
        "split0_test_score",
        "split1_test_score",
        "mean_test_score",
        "rank_test_score",
    } <= set(table[0])
    best_row = min(table, key=lambda row: row["rank_test_score"])
    search = results["search"]
    assert search["best_params"] == best_row["params"] and search["best_score"] == best_row["mean_test_score"]
    assert search["n_candidates"] == 4 and search["n_fits"] == search["planned_fits"] == 8
    assert not search["stopped_early"] and search["metric"] == "accuracy"
    # The best candidate's folds are the run's folds, as for a cross-validated run.
    assert [row["fold"] for row in results["fold_scores"]] == [0, 1]
    assert results["scores"]["accuracy"]["mean"] == pytest.approx(search["best_score"])

    summary = store.get_run(run_id)["summary"]
    assert summary["evaluation"] == "search" and summary["search"] == search
    epochs = store.epochs(run_id)
    assert set(epochs["candidate"]) == {0, 1, 2, 3} and set(epochs["fold"]) == {-1, 0, 1}
    assert set(epochs.loc[epochs["fold"] == -1, "candidate"]) == {search["best_candidate"]}
    assert len(store.events(run_id, "candidate_end")) == 4

    folder = store.run_dir(run_id)
    pipeline = load_pipeline(folder / "pipeline.pkl", home=store.home)
    net = fitted_net(pipeline)
    assert net.lr == search["best_params"]["lr"]
    assert list(net.module_.layers[0].weight.shape) == [search["best_params"]["module__hidden_units"][0], 4]
    card = json.loads((folder / "model_card.json").read_text())
    assert card["search"]["best_params"] == search["best_params"]
    # The card describes the best candidate as a spec of its own: it trains that pipeline again.
    best_spec = ExperimentSpec.from_dict(card["spec"])
    assert best_spec.search.mode == "none" and best_spec.training.lr == search["best_params"]["lr"]
    assert len((folder / "oof.csv").read_text().splitlines()) == 151


def test_a_search_run_naming_an_unknown_parameter_fails_before_training(store):
    run_id = _create(store, _search_spec(lr=[0.01], dropout=[0.1]), load_sample("iris"))
    assert run_job_in_process(store, run_id) == RunStatus.FAILED
    error = store.get_run(run_id)["error"]
    assert "search.space names 'dropout', which is not a parameter of NeuralNetClassifier" in error
    assert "module__dropout" in error
    assert store.epochs(run_id).empty and not (store.run_dir(run_id) / "pipeline.pkl").exists()
