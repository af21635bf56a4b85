"""Search scaling: the same 12-candidate x 3-fold search on 1 and 2 local workers and on a 2-worker Dask cluster.

A grid over lr (3 values), the hidden layers (2) and the epochs (2) of an MLP on a synthetic 4,000 x 20
classification table: 36 cross-validation fits and the refit of the best. Every worker uses one torch
thread, and so does the one-worker baseline (this process). Each target is warmed up first with a tiny
search (worker processes started, torch imported), so the figures time the search alone; the warm-up
times are printed too. The three runs must find the same scores (same seeds), and the speed-ups over
one worker are printed. Run: ``.venv/bin/python bench/search_scaling.py`` (needs the ``dask`` extra).
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import make_classification

from backend.compute import ComputeSettings
from backend.evaluate import run_search
from backend.spec import ExperimentSpec

N_ROWS, N_FEATURES = 4000, 20


def table(n_rows: int) -> pd.DataFrame:
    X, y = make_classification(n_samples=n_rows, n_features=N_FEATURES, n_informative=10, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(N_FEATURES)])
    frame["label"] = np.where(y == 1, "yes", "no")
    return frame


def search_spec(space: dict) -> ExperimentSpec:
    spec = ExperimentSpec.for_target("label")
    spec.training.batch_size = 64
    spec.training.early_stopping = False
    spec.training.valid_fraction = 0.0
    spec.search.mode = "grid"
    spec.search.folds = 3
    spec.search.space = space
    return spec


SPACE = {"lr": [0.001, 0.003, 0.01], "module__hidden_units": [[32], [64, 32]], "max_epochs": [10, 20]}
WARM_UP = {"lr": [0.01, 0.02], "max_epochs": [1]}


def timed(frame: pd.DataFrame, compute: ComputeSettings) -> tuple[float, float, pd.DataFrame]:
    """Seconds of a warm-up search and of the benchmark search on ``compute``, and the latter's results."""
    started = time.perf_counter()
    run_search(search_spec(WARM_UP), frame.head(300), compute=compute)
    warm_up = time.perf_counter() - started
    started = time.perf_counter()
    result = run_search(search_spec(SPACE), frame, compute=compute)
    return warm_up, time.perf_counter() - started, result.cv_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=N_ROWS, help="rows of the synthetic table")
    parser.add_argument("--no-dask", action="store_true", help="skip the LocalCluster run")
    args = parser.parse_args()
    torch.set_num_threads(1)
    frame = table(args.rows)
    print(f"search: 12 candidates x 3 folds (36 fits + 1 refit) on {args.rows} x {N_FEATURES} rows")

    runs: dict[str, tuple[float, float, pd.DataFrame]] = {}
    runs["1 local worker"] = timed(frame, ComputeSettings(n_jobs=1))
    runs["2 local workers"] = timed(frame, ComputeSettings(n_jobs=2))
    if not args.no_dask:
        from distributed import LocalCluster

        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster:
            runs["2-worker LocalCluster"] = timed(frame, ComputeSettings(scheduler=cluster.scheduler_address))

    base = runs["1 local worker"][1]
    reference = runs["1 local worker"][2]
    columns = ["candidate", "split0_test_score", "split1_test_score", "split2_test_score", "mean_test_score"]
    print(f"{'target':<24}{'warm-up s':>10}{'search s':>10}{'speed-up':>10}  same scores")
    for name, (warm_up, seconds, results) in runs.items():
        same = results[columns].equals(reference[columns])
        print(f"{name:<24}{warm_up:>10.2f}{seconds:>10.2f}{base / seconds:>9.2f}x  {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
