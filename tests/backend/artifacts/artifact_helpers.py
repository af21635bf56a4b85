"""Helpers of the artifact tests: a trained run's handles, a small spec, and running Python in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from backend.runs.store import RunStore
from backend.spec import ExperimentSpec


@dataclass
class TrainedRun:
    """A finished run: its store's home, id, folder, spec and data."""

    home: Path
    run_id: str
    folder: Path
    spec: ExperimentSpec
    frame: pd.DataFrame
    store: RunStore

    @property
    def features(self) -> pd.DataFrame:
        return self.frame.drop(columns=[self.spec.data.target])


def tiny_spec(target: str, task: str) -> ExperimentSpec:
    spec = ExperimentSpec.for_target(target, task)
    spec.model.hidden_units = (8,)
    spec.training.max_epochs = 4
    spec.training.patience = 2
    spec.training.lr = 0.01
    spec.evaluation.folds = 2
    return spec


def run_python(code_or_script: str | Path, *args: str, cwd: Path, env: dict | None = None) -> str:
    """Run Python code (or a script file) in a fresh, isolated process from ``cwd``; return its stdout.

    ``-I`` keeps the repository and the user's site out of ``sys.path``: only installed packages import.
    """
    command = [sys.executable, "-I"]
    command += [str(code_or_script)] if isinstance(code_or_script, Path) else ["-c", code_or_script]
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    done = subprocess.run(
        [*command, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
