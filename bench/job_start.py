"""Job start latency: from submitting a run (pressing Train) to its first epoch recorded in the store.

Two cases: a warm runner whose idle worker has had time to import torch (the usual case: the server has
been up while the user picked data and a model), and a cold one submitted the moment the runner starts.
Run: ``.venv/bin/python bench/job_start.py``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from backend.data import load_sample
from backend.runs import JobRunner, RunStore
from backend.spec import ExperimentSpec


def first_epoch_after_submit(home: Path, warm_up_s: float) -> float:
    store = RunStore(home)
    frame = load_sample("iris")
    spec = ExperimentSpec.for_target("species", "classification")
    spec.training.max_epochs = 3
    spec.training.patience = 2
    spec.evaluation.folds = 2
    with JobRunner(store) as runner:
        time.sleep(warm_up_s)
        run_id = store.create_run(spec.to_dict(), frame, name="bench", dataset="iris", target="species",
                                  task="classification")
        started = time.perf_counter()
        runner.submit(run_id)
        while store.epochs(run_id).empty:
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"no epoch after 120 s; run status: {store.get_run(run_id)['status']}")
            time.sleep(0.01)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-up", type=float, default=15.0, help="seconds the runner idles before the submit")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for label, warm_up in (("warm worker", args.warm_up), ("cold start", 0.0)):
        times = []
        for _ in range(args.repeats if warm_up else 1):
            with tempfile.TemporaryDirectory() as home:
                os.environ["TORCHWORK_HOME"] = home
                times.append(first_epoch_after_submit(Path(home), warm_up))
        print(f"{label:<12} submit -> first epoch recorded: best {min(times):.2f} s, worst {max(times):.2f} s")


if __name__ == "__main__":
    main()
