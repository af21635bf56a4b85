import logging
import os
import socket

import joblib
import numpy as np
import pandas as pd
import pytest

from backend.compute import ClusterUnavailable, ComputeSettings, compute_session, describe_cluster
from backend.data import load_sample
from backend.evaluate import FINAL_FOLD, run_experiment, run_search
from backend.spec import ExperimentSpec

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    """A real two-process Dask cluster on this machine, one thread and a small memory cap per worker."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="1GiB",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster


def _search_spec() -> ExperimentSpec:
    spec = ExperimentSpec.for_target("species")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.early_stopping = False
    spec.search.mode = "grid"
    spec.search.folds = 2
    spec.search.space = {"lr": [0.005, 0.05], "module__hidden_units": [[4], [8]]}
    return spec


def test_describe_cluster_lists_the_workers_and_their_threads(cluster):
    described = describe_cluster(cluster.scheduler_address)
    assert described["address"] == cluster.scheduler_address
    assert described["n_workers"] == 2 and described["n_threads"] == 2
    assert sorted(w["nthreads"] for w in described["workers"]) == [1, 1]
    assert all(w["memory_limit"] == 2**30 and w["cpus"] >= 1 for w in described["workers"])


def test_a_search_on_the_cluster_equals_the_same_search_run_locally(cluster):
    frame = load_sample("iris")
    local_events, cluster_events = [], []
    local = run_search(_search_spec(), frame, report=local_events.append, compute=ComputeSettings(n_jobs=1))
    remote = run_search(
        _search_spec(),
        frame,
        report=cluster_events.append,
        compute=ComputeSettings(scheduler=cluster.scheduler_address),
    )
    assert remote.compute.startswith(f"Dask cluster {cluster.scheduler_address} (2 workers, 2 threads)")
    scores = ["split0_test_score", "split1_test_score", "mean_test_score", "rank_test_score"]
    assert remote.cv_results[["candidate", "params", *scores]].equals(
        local.cv_results[["candidate", "params", *scores]]
    )
    assert remote.best_params == local.best_params and remote.best_score == local.best_score
    rows = frame.drop(columns="species")
    np.testing.assert_array_equal(
        remote.best.pipeline.predict_proba(rows), local.best.pipeline.predict_proba(rows)
    )
    # Every fit on the workers reported home: its epochs and its scores.
    ends = [e for e in cluster_events if e["kind"] == "fit_end"]
    assert len(ends) == 8 and remote.best.oof["row"].tolist() == list(range(150))
    epochs = [e for e in cluster_events if e["kind"] == "epoch" and e["fold"] >= 0]
    assert len(epochs) == 8 * 3


def test_each_fit_on_the_cluster_is_one_task_and_its_steps_run_inside_it(cluster):
    # A fit's own joblib calls (the ColumnTransformer's, per column group) stay inside its task: left on
    # the Dask backend they became 25 more tasks, each sending its fold's rows to the cluster again.
    with distributed.Client(cluster.scheduler_address) as client:
        with distributed.get_task_stream(client) as stream:
            result = run_search(
                _search_spec(),
                load_sample("iris"),
                compute=ComputeSettings(scheduler=cluster.scheduler_address),
            )
    assert result.n_fits == 8
    tasks = [str(task["key"]) for task in stream.data]
    assert len(tasks) <= 8 and all("_fit_and_score" in key for key in tasks), tasks


def _cv_spec() -> ExperimentSpec:
    spec = ExperimentSpec.for_target("species")
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 3
    spec.training.early_stopping = False
    spec.evaluation.folds = 3
    return spec


def test_cross_validation_on_the_cluster_equals_the_same_folds_fitted_in_this_process(cluster):
    frame = load_sample("iris")
    here = run_experiment(_cv_spec(), frame, compute=ComputeSettings(n_jobs=1))
    events = []
    with distributed.Client(cluster.scheduler_address) as client:
        with distributed.get_task_stream(client) as stream:
            there = run_experiment(
                _cv_spec(),
                frame,
                report=events.append,
                compute=ComputeSettings(scheduler=cluster.scheduler_address),
            )
    assert there.compute.startswith(f"Dask cluster {cluster.scheduler_address} (2 workers, 2 threads)")
    # Each fold was one task on the cluster's workers; the final fit stayed here.
    tasks = [str(task["key"]) for task in stream.data]
    assert len(tasks) == 3 and all("_fit_and_score" in key for key in tasks), tasks
    pd.testing.assert_frame_equal(there.fold_scores, here.fold_scores)
    pd.testing.assert_frame_equal(there.oof, here.oof)
    rows = frame.drop(columns="species")
    np.testing.assert_array_equal(there.pipeline.predict_proba(rows), here.pipeline.predict_proba(rows))
    # Every fold's epochs came home from the workers, as the folds ran.
    for fold in (0, 1, 2, FINAL_FOLD):
        assert [e["epoch"] for e in events if e["kind"] == "epoch" and e["fold"] == fold] == [1, 2, 3]
    assert sorted(e["fold"] for e in events if e["kind"] == "fold_end") == [0, 1, 2]


def _threads(channel):
    import torch

    channel.send(torch.get_num_threads())


def test_workers_get_their_share_of_the_cores_for_torch(cluster):
    got = []
    with compute_session(
        ComputeSettings(scheduler=cluster.scheduler_address), consumer=got.append
    ) as session:
        joblib.Parallel()(joblib.delayed(_threads)(session.channel) for _ in range(2))
        assert session.wait_until(lambda: len(got) == 2, timeout=10)
    assert set(got) == {max(1, len(os.sched_getaffinity(0)) // 2)}


def test_an_unreachable_scheduler_is_a_clear_error():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(
        ClusterUnavailable, match=f"Could not connect to a Dask scheduler at 'tcp://127.0.0.1:{port}'"
    ):
        describe_cluster(f"tcp://127.0.0.1:{port}", timeout=1)
