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


def _train(
    home: Path, sample: str, spec: ExperimentSpec, missing_targets: int = 0, n_rows: int | None = None
) -> TrainedRun:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    patch = pytest.MonkeyPatch()
    try:
        patch.setenv("TORCHWORK_HOME", str(home))  # whatever asks for the home finds this run's
        store = RunStore(home=home)
        frame = load_sample(sample)
        if n_rows is not None:
            frame = frame.sample(n_rows, random_state=0).reset_index(drop=True)
        frame.loc[frame.index[:missing_targets], spec.data.target] = None
        run_id = store.create_run(
            spec.to_dict(), frame, name=sample, dataset=sample, target=spec.data.target, task=spec.data.task
        )
        train_run(store, run_id)
    finally:
        torch.set_num_threads(threads)
        patch.undo()
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


@pytest.fixture(scope="session")
def reviews_run(tmp_path_factory) -> TrainedRun:
    spec = tiny_spec("sentiment", "classification")
    spec.data.modality = "text"
    spec.model.architecture = "textrnn"
    spec.model.rnn_type = "gru"
    spec.model.embedding_dim = 8
    spec.model.rnn_units = 8
    return _train(tmp_path_factory.mktemp("reviews-home"), "demo_reviews", spec, n_rows=160)


def image_spec() -> ExperimentSpec:
    """A small ConvNet on the 8x8 digits: 3 epochs, 3 folds."""
    spec = ExperimentSpec.for_target("digit")
    spec.data.modality = "images"
    spec.data.image_size = 8
    spec.model.architecture = "convnet"
    spec.model.conv_channels = (4, 8)
    spec.training.max_epochs = 3
    spec.training.patience = 2
    spec.training.lr = 0.01
    spec.training.batch_size = 16
    spec.evaluation.folds = 3
    return spec


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory) -> TrainedRun:
    # The digits' PNG files are written into this run's home: the table names them by absolute paths there.
    return _train(tmp_path_factory.mktemp("digits-home"), "digits", image_spec(), n_rows=90)
