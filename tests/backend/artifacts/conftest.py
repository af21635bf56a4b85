"""Runs trained once for the artifact tests: an iris classifier (2-fold CV) and a diabetes regressor (holdout,\ntwo rows without a target)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from artifact_helpers import TrainedRun, tiny_spec

from backend.data import load_sample
from backend.runs.store import RunStore
from backend.runs.training import train_run
from backend.spec import ExperimentSpec


def _train(home: Path, sample: str, spec: ExperimentSpec, missing_targets: int = 0) -> TrainedRun:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        store = RunStore(home=home)
        frame = load_sample(sample)
        frame.loc[frame.index[:missing_targets], spec.data.target] = None
        run_id = store.create_run(
            spec.to_dict(), frame, name=sample, dataset=sample, target=spec.data.target, task=spec.data.task
        )
        train_run(store, run_id)
    finally:
        torch.set_num_threads(threads)
    return TrainedRun(home, run_id, store.run_dir(run_id), spec, store.load_data(run_id), store)


@pytest.fixture(scope="session")
def iris_run(tmp_path_factory) -> TrainedRun:
    return _train(tmp_path_factory.mktemp("iris-home"), "iris", tiny_spec("species", "classification"))


@pytest.fixture(scope="session")
def diabetes_run(tmp_path_factory) -> TrainedRun:
    spec = tiny_spec("disease_progression", "regression")
    spec.evaluation.mode = "holdout"
    spec.model.batch_norm = True
    return _train(tmp_path_factory.mktemp("diabetes-home"), "diabetes", spec, missing_targets=2)
