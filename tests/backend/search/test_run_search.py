import math
from collections import Counter

import numpy as np
import pytest

from backend.compute import ComputeSettings
from backend.data import load_sample
from backend.evaluate import SearchFailed, plan_search, run_search, time_first_fit
from backend.evaluate.search_space import candidate_spec
from backend.pipeline import build_pipeline, fitted_net
from backend.spec import ExperimentSpec, SpecError

LOCAL = ComputeSettings(n_jobs=1)


def _spec(mode: str = "grid", **space) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("species")
    spec.model.hidden_units = (8,)
    spec.training.batch_size = 32
    spec.training.max_epochs = 4
    spec.training.early_stopping = False
    spec.search.mode = mode
    spec.search.folds = 3
    spec.search.space = space
    return spec


@pytest.fixture(scope="module")
def iris():
    return load_sample("iris")


@pytest.fixture(scope="module")
def grid_search(iris):
    """Slide 10's search on the iris table: lr, max_epochs and the hidden layer, 8 candidates x 3 folds."""
    spec = _spec(lr=[1e-4, 0.05], max_epochs=[1, 6], module__hidden_units=[[4], [16]])
    events = []
    result = run_search(spec, iris, report=events.append, compute=LOCAL)
    return spec, result, events


def test_grid_search_finds_the_best_candidate_by_its_mean_fold_score(grid_search):
    _, result, _ = grid_search
    table = result.cv_results
    assert len(table) == 8 and sorted(table["candidate"]) == list(range(8))
    assert {"param_lr", "param_max_epochs", "param_module__hidden_units", "mean_test_score"} <= set(table)
    best = table.loc[table["mean_test_score"].idxmax()]
    assert result.best_index == best.name and result.best_score == best["mean_test_score"]
    assert (
        result.best_params
        == best["params"]
        == {
            "lr": best["param_lr"],
            "max_epochs": best["param_max_epochs"],
            "module__hidden_units": best["param_module__hidden_units"],
        }
    )
    # A real difference was found: the tiny learning rate for one epoch is far from the best.
    assert result.best_params["lr"] == 0.05
    worst = table.loc[(table["param_lr"] == 1e-4) & (table["param_max_epochs"] == 1), "mean_test_score"]
    assert result.best_score > worst.max() + 0.2
    assert result.metric == "accuracy" and result.greater_is_better


def test_the_best_candidate_is_refitted_on_every_row(grid_search, iris):
    spec, result, _ = grid_search
    net = fitted_net(result.best.pipeline)
    assert net.lr == result.best_params["lr"] and net.max_epochs == result.best_params["max_epochs"]
    assert tuple(net.module_.layers[0].weight.shape) == (result.best_params["module__hidden_units"][0], 4)
    assert len(result.best.histories[-1]) == result.best_params["max_epochs"]
    # The same pipeline as the best candidate's own spec trained on every row, to the last bit.
    alone = build_pipeline(candidate_spec(spec, result.best_params), iris)
    alone.fit(iris.drop(columns="species"), iris["species"].to_numpy())
    rows = iris.drop(columns="species")
    np.testing.assert_array_equal(result.best.pipeline.predict_proba(rows), alone.predict_proba(rows))


def test_the_best_candidate_reads_as_a_single_run(grid_search):
    _, result, _ = grid_search
    best = result.best
    assert list(best.fold_scores["fold"]) == [0, 1, 2]
    assert best.fold_scores["accuracy"].mean() == pytest.approx(result.best_score)
    assert set(best.summary) >= {"accuracy", "balanced_accuracy", "f1_macro", "log_loss"}
    assert len(best.oof) == 150 and best.oof["row"].tolist() == list(range(150))
    assert best.classes == ["setosa", "versicolor", "virginica"]


def test_progress_names_the_candidate_and_fold_of_every_fit_with_its_epochs(grid_search):
    _, result, events = grid_search
    kinds = Counter(e["kind"] for e in events)
    assert kinds["fit_end"] == 24 and kinds["candidate_end"] == 8 and kinds["search"] == 1
    assert {(e["candidate"], e["fold"]) for e in events if e["kind"] == "fit_end"} == {
        (c, f) for c in range(8) for f in range(3)
    }
    ends = {(e["candidate"], e["fold"]): e for e in events if e["kind"] == "fit_end"}
    for (candidate, fold), end in ends.items():
        epochs = [
            e["epoch"]
            for e in events
            if e["kind"] == "epoch" and (e["candidate"], e["fold"]) == (candidate, fold)
        ]
        assert epochs == list(range(1, end["params"]["max_epochs"] + 1)) == list(range(1, end["epochs"] + 1))
    refit = [e for e in events if e["kind"] == "epoch" and e["fold"] == -1]
    assert {e["candidate"] for e in refit} == {result.best_candidate}
    candidate_ends = {e["candidate"]: e for e in events if e["kind"] == "candidate_end"}
    row = result.cv_results.set_index("candidate").loc[3]
    assert candidate_ends[3]["mean_score"] == pytest.approx(row["mean_test_score"])
    assert candidate_ends[3]["params"] == row["params"]
    last = [e for e in events if e["kind"] == "progress"][-1]
    assert last["done"] == last["total"] == 8 * 3 + 1


def test_an_unknown_parameter_is_refused_before_any_training(iris):
    spec = _spec(lr=[0.01, 0.1], module__hiden_units=[[4], [8]])
    events = []
    with pytest.raises(SpecError) as caught:
        run_search(spec, iris, report=events.append, compute=LOCAL)
    message = str(caught.value)
    assert "'module__hiden_units', which is not a parameter of MLP" in message
    assert "Did you mean 'module__hidden_units'" in message
    assert events == []


def test_a_value_the_net_refuses_is_named_before_any_training(iris):
    spec = _spec(lr=[0.01], max_epochs=[3, 0])
    with pytest.raises(SpecError, match=r"search.space\['max_epochs'\]: the value 0 is refused"):
        run_search(spec, iris, compute=LOCAL)


def test_random_search_samples_log_uniform_learning_rates_and_whole_epochs(iris):
    spec = _spec("random", lr={"low": 1e-3, "high": 0.1, "log": True}, max_epochs={"low": 1, "high": 3})
    spec.search.n_candidates = 5
    spec.search.scoring = "log_loss"
    result = run_search(spec, iris, compute=LOCAL)
    table = result.cv_results
    assert len(table) == 5
    assert all(1e-3 <= lr <= 0.1 for lr in table["param_lr"])
    assert all(isinstance(e, int) and 1 <= e <= 3 for e in table["param_max_epochs"])
    # Lower log loss is better: scores are its negation, and the best has the lowest loss.
    assert not result.greater_is_better and (table["mean_test_score"] < 0).all()
    assert result.best.summary["log_loss"]["mean"] == pytest.approx(-result.best_score)


def test_halving_search_gives_the_survivors_more_rows(iris):
    spec = _spec("halving", lr={"low": 1e-3, "high": 0.1, "log": True}, module__hidden_units=[[4], [16]])
    spec.search.n_candidates = 6
    result = run_search(spec, iris, compute=LOCAL)
    table = result.cv_results
    assert result.plan.rounds == ((6, 50), (2, 150))
    assert list(table.groupby("iter")["n_resources"].first()) == [50, 150]
    survivors = set(table.loc[table["iter"] == 1, "candidate"])
    assert len(survivors) == 2 and survivors <= set(table.loc[table["iter"] == 0, "candidate"])
    assert table.loc[result.best_index, "iter"] == 1 and result.best_candidate in survivors
    assert list(result.best.fold_scores["n_train"]) == [100, 100, 100]


def test_a_time_limit_stops_the_search_and_keeps_what_finished(iris):
    spec = _spec(lr=[0.01, 0.02, 0.05], max_epochs=[2, 3])
    spec.search.time_limit_s = 1e-3
    result = run_search(spec, iris, compute=LOCAL)
    assert result.stopped_early and result.plan.n_candidates == 6
    assert 1 <= result.n_candidates < 6 and len(result.cv_results) == result.n_candidates
    assert not math.isnan(result.best_score)
    assert result.best.pipeline.predict(iris.drop(columns="species").head(2)).shape == (2,)


def test_regression_searches_through_the_standardised_target():
    frame = load_sample("diabetes")
    spec = ExperimentSpec.for_target("disease_progression", "regression")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.early_stopping = False
    spec.search.mode = "grid"
    spec.search.space = {"lr": [0.001, 0.05], "net__transformer__with_std": [True]}
    spec.search.scoring = "rmse"
    result = run_search(spec, frame, compute=LOCAL)
    assert set(result.best_params) == {"lr", "net__transformer__with_std"}
    assert fitted_net(result.best.pipeline).lr == result.best_params["lr"]
    assert result.best.summary["rmse"]["mean"] == pytest.approx(-result.best_score)


def test_a_plan_counts_the_fits_and_a_first_fit_times_them_before_the_search(iris):
    spec = _spec(lr=[0.01, 0.05], max_epochs=[2, 3], module__hidden_units=[[4], [8]])
    plan = plan_search(spec, n_rows=150)
    assert (plan.n_candidates, plan.n_folds, plan.n_fits) == (8, 3, 8 * 3 + 1)
    spec.search.mode = "random"
    spec.search.n_candidates = 20
    assert plan_search(spec, n_rows=150).n_candidates == 8  # the whole grid, once each
    seconds = time_first_fit(spec, iris)
    assert isinstance(seconds, float) and seconds > 0


def _diverging(lrs: list[float]) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("disease_progression", "regression")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 2
    spec.training.early_stopping = False
    spec.search.mode = "grid"
    spec.search.space = {"lr": lrs, "optimizer": ["sgd"]}
    return spec


def test_a_failing_candidate_ranks_last_and_its_errors_are_reported():
    events = []
    result = run_search(_diverging([1e6, 1e-3]), load_sample("diabetes"), report=events.append, compute=LOCAL)
    table = result.cv_results.set_index("candidate")
    assert math.isnan(table.loc[0, "mean_test_score"]) and table.loc[0, "rank_test_score"] == 2
    assert result.best_params == {"lr": 1e-3, "optimizer": "sgd"}
    (failed,) = [e for e in events if e["kind"] == "candidate_end" and e["candidate"] == 0]
    assert len(failed["errors"]) == 3 and "Training diverged" in failed["errors"][0]


def test_a_search_whose_every_fit_fails_says_why():
    with pytest.raises(SearchFailed, match="All 3 fits of the search failed.*Training diverged"):
        run_search(_diverging([1e6]), load_sample("diabetes"), compute=LOCAL)
