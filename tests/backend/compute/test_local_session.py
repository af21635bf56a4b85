import os

import joblib
import numpy as np

from backend.compute import ComputeSettings, compute_session


def _task(i, data, channel):
    import torch

    channel.send(
        {"task": i, "pid": os.getpid(), "threads": torch.get_num_threads(), "total": float(data.sum())}
    )
    return i * i


def test_tasks_in_this_process_reach_the_consumer_directly():
    got = []
    data = np.ones(10)
    with compute_session(ComputeSettings(n_jobs=1), [data], got.append) as session:
        out = joblib.Parallel()(joblib.delayed(_task)(i, data, session.channel) for i in range(3))
        assert session.channel.is_home and session.n_workers == 1 and session.torch_threads is None
    assert out == [0, 1, 4]
    assert [m["task"] for m in got] == [0, 1, 2] and {m["pid"] for m in got} == {os.getpid()}


def test_tasks_in_worker_processes_report_home_and_share_the_cores():
    got = []
    data = np.ones(1000)
    with compute_session(ComputeSettings(n_jobs=2), [data], got.append) as session:
        out = joblib.Parallel()(joblib.delayed(_task)(i, data, session.channel) for i in range(4))
        threads = session.torch_threads
        assert session.wait_until(lambda: len(got) == 4, timeout=10)
    assert out == [0, 1, 4, 9]
    assert sorted(m["task"] for m in got) == [0, 1, 2, 3]
    assert os.getpid() not in {m["pid"] for m in got}
    assert threads == max(1, len(os.sched_getaffinity(0)) // 2)
    assert {m["threads"] for m in got} == {threads} and {m["total"] for m in got} == {1000.0}


def test_a_search_on_two_local_processes_equals_the_same_search_in_this_process():
    from backend.data import load_sample
    from backend.evaluate import run_search
    from backend.spec import ExperimentSpec

    def spec() -> ExperimentSpec:
        spec = ExperimentSpec.for_target("species")
        spec.model.hidden_units = (8,)
        spec.training.max_epochs = 3
        spec.training.early_stopping = False
        spec.search.mode = "grid"
        spec.search.folds = 2
        spec.search.space = {"lr": [0.005, 0.05], "module__hidden_units": [[4], [8]]}
        return spec

    frame = load_sample("iris")
    one_events, two_events = [], []
    one = run_search(spec(), frame, report=one_events.append, compute=ComputeSettings(n_jobs=1))
    two = run_search(spec(), frame, report=two_events.append, compute=ComputeSettings(n_jobs=2))
    assert one.compute == "this process" and two.compute == "2 local processes"
    scores = ["split0_test_score", "split1_test_score", "mean_test_score", "rank_test_score"]
    assert two.cv_results[["candidate", "params", *scores]].equals(
        one.cv_results[["candidate", "params", *scores]]
    )
    assert two.best_params == one.best_params and two.best_score == one.best_score
    rows = frame.drop(columns="species")
    np.testing.assert_array_equal(
        two.best.pipeline.predict_proba(rows), one.best.pipeline.predict_proba(rows)
    )
    np.testing.assert_array_equal(
        two.best.oof.sort_values("row").to_numpy(), one.best.oof.sort_values("row").to_numpy()
    )
    # Every fit in the worker processes reported home, as each fit here did.
    for events in (one_events, two_events):
        assert len([e for e in events if e["kind"] == "fit_end"]) == 8  # 4 candidates x 2 folds
        assert len([e for e in events if e["kind"] == "epoch" and e["fold"] >= 0]) == 8 * 3


def _cv_spec():
    from backend.spec import ExperimentSpec

    spec = ExperimentSpec.for_target("species")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.early_stopping = False
    spec.evaluation.folds = 3
    return spec


def test_cross_validation_on_two_local_processes_equals_the_same_folds_fitted_in_this_process():
    import pandas as pd

    from backend.data import load_sample
    from backend.evaluate import FINAL_FOLD, run_experiment

    frame = load_sample("iris")
    # Row labels that are not positions, and a row without a target: the out-of-fold rows keep the labels.
    frame.index = frame.index * 10 + 7
    frame.loc[frame.index[5], "species"] = None
    one_events, two_events = [], []
    one = run_experiment(_cv_spec(), frame, report=one_events.append, compute=ComputeSettings(n_jobs=1))
    two = run_experiment(_cv_spec(), frame, report=two_events.append, compute=ComputeSettings(n_jobs=2))
    assert one.compute == "this process" and two.compute == "2 local processes"
    pd.testing.assert_frame_equal(two.fold_scores, one.fold_scores)
    pd.testing.assert_frame_equal(two.oof, one.oof)
    assert two.oof["row"].tolist() == frame.index.drop(frame.index[5]).tolist()
    assert two.summary == one.summary and two.omitted == one.omitted and two.n_dropped == one.n_dropped == 1
    rows = frame.drop(columns="species")
    np.testing.assert_array_equal(two.pipeline.predict_proba(rows), one.pipeline.predict_proba(rows))
    assert list(two.histories) == list(one.histories) == [0, 1, 2, FINAL_FOLD]
    for fold in (0, 1, 2, FINAL_FOLD):
        assert [r["train_loss"] for r in two.histories[fold]] == [
            r["train_loss"] for r in one.histories[fold]
        ]
    # Every fold's epochs and its end arrived while the folds ran in the worker processes, before the final fit.
    final = next(
        i
        for i, e in enumerate(two_events)
        if e["kind"] == "progress" and e["message"].startswith("Final fit")
    )
    folds_epochs = [e for e in two_events[:final] if e["kind"] == "epoch"]
    assert sorted((e["fold"], e["epoch"]) for e in folds_epochs) == [
        (f, n) for f in range(3) for n in (1, 2, 3)
    ]
    assert all("candidate" not in e for e in folds_epochs)
    assert sorted(e["fold"] for e in two_events[:final] if e["kind"] == "fold_end") == [0, 1, 2]
    assert any("3 folds on 2 local processes" in e.get("message", "") for e in two_events)


def test_a_fold_failing_in_a_worker_process_raises_its_own_readable_error():
    import pandas as pd
    import pytest

    from backend.evaluate import run_experiment
    from backend.net import TrainingDivergedError
    from backend.spec import ExperimentSpec

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40) * 1e30, "y": rng.normal(size=40)})
    spec = ExperimentSpec.for_target("y", "regression")
    spec.data.numeric_scaler = "none"
    spec.evaluation.folds = 2
    with pytest.raises(TrainingDivergedError, match="Lower the learning rate"):
        run_experiment(spec, frame, compute=ComputeSettings(n_jobs=2))
