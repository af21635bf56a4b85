"""The training job: what a worker process runs for one stored run (evaluate, fit, save, describe)."""

from __future__ import annotations

import datetime as dt
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from backend.artifacts import save_artifact
from backend.data import fingerprint, infer_schema
from backend.evaluate import ExperimentResult, run_experiment
from backend.runs.store import RunNotFound, RunStore
from backend.spec import ExperimentSpec, SpecError

PIPELINE_FILE = "pipeline.pkl"
MODEL_CARD_FILE = "model_card.json"
OOF_FILE = "oof.csv"

#: The score a run is listed by.
HEADLINE_METRIC = {"classification": "accuracy", "regression": "r2"}

_PACKAGES = ("torchwork", "torch", "scikit-learn", "numpy", "pandas", "joblib")


def warm_up() -> None:
    """Pay the first fit's one-off costs ahead, in an idle worker: torch's optimizers import
    ``torch._dynamo`` (over a second) the first time one is built."""
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def train_run(store: RunStore, run_id: str) -> None:
    """Train the run ``run_id``: evaluate its spec on its data, fit the final pipeline and save it.

    Epochs go to ``store.add_epoch`` as they end (``fold`` -1 is the final fit); ``progress`` and
    ``fold_end`` events to ``store.add_event``. Then ``store.set_result``: ``fold_scores`` (one record
    per fold), ``scores`` (metric -> mean/std), ``omitted`` (metric -> reason), and ``classes``;
    ``store.set_summary``: ``evaluation``, ``headline``
    (``{"metric", "mean", "std"}``), ``scores``, ``n_rows``, ``n_dropped``, ``duration_s`` and ``files``.
    The run folder receives the out-of-fold predictions (``oof.csv``), the signed pipeline
    (``pipeline.pkl``) and its model card (``model_card.json``).

    Raises
    ------
    SpecError
        When the stored spec is invalid or does not fit the data (checked before any training).
    """
    run = store.get_run(run_id)
    if run is None:
        raise RunNotFound(run_id, store.home)
    spec = _spec_of(run["spec"])
    frame = store.load_data(run_id)

    def report(event: dict[str, Any]) -> None:
        kind = event["kind"]
        payload = {k: v for k, v in event.items() if k != "kind"}
        if kind == "epoch":
            store.add_epoch(run_id, payload)
        else:
            store.add_event(run_id, kind, payload)

    result = run_experiment(spec, frame, report=report)
    folder = store.run_dir(run_id)
    result.oof.to_csv(folder / OOF_FILE, index=False)
    save_artifact(result.pipeline, folder / PIPELINE_FILE, home=store.home)
    card = model_card(spec, frame, result, run_id=run_id)
    (folder / MODEL_CARD_FILE).write_text(json.dumps(card, indent=2, default=_plain), encoding="utf-8")
    store.set_result(run_id, "fold_scores", result.fold_scores.to_dict(orient="records"))
    store.set_result(run_id, "scores", result.summary)
    store.set_result(run_id, "omitted", result.omitted)
    store.set_result(run_id, "classes", [_plain(c) for c in result.classes])
    store.set_summary(run_id, _summary(spec, frame, result))


def _summary(spec: ExperimentSpec, frame: pd.DataFrame, result: ExperimentResult) -> dict[str, Any]:
    """What the Runs page lists: the headline score, every score, the row counts and the run's files."""
    metric = HEADLINE_METRIC[spec.data.task]
    return {
        "evaluation": spec.evaluation.mode,
        "headline": {"metric": metric, **result.summary[metric]} if metric in result.summary else None,
        "scores": result.summary,
        "n_rows": int(len(frame) - result.n_dropped),
        "n_dropped": result.n_dropped,
        "duration_s": round(result.duration, 3),
        "files": {"pipeline": PIPELINE_FILE, "model_card": MODEL_CARD_FILE, "oof": OOF_FILE},
    }


def model_card(spec: ExperimentSpec, frame: pd.DataFrame, result: ExperimentResult, run_id: str = "") -> dict:
    """A JSON-ready description of a fitted pipeline: its spec, scores, data, versions and how to load it."""
    return {
        "run_id": run_id,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "task": spec.data.task,
        "target": spec.data.target,
        "classes": [_plain(c) for c in result.classes],
        "spec": spec.to_dict(),
        "seed": spec.training.seed,
        "metrics": {
            "evaluation": spec.evaluation.mode,
            "summary": result.summary,
            "folds": result.fold_scores.to_dict(orient="records"),
            "omitted": result.omitted,
        },
        "data": {
            "fingerprint": "sha256:" + fingerprint(frame),
            "n_rows": int(frame.shape[0]),
            "n_columns": int(frame.shape[1]),
            "n_dropped_missing_target": result.n_dropped,
            "columns": [
                {
                    "name": c.name,
                    "role": c.role,
                    "dtype": c.dtype,
                    "n_missing": c.n_missing,
                    "n_distinct": c.n_distinct,
                }
                for c in infer_schema(frame)
            ],
        },
        "training": {
            "duration_s": round(result.duration, 3),
            "final_fit_epochs": len(result.histories.get(-1, [])),
        },
        "versions": _versions(),
        "how_to_load": (
            "import joblib; pipeline = joblib.load('pipeline.pkl'); pipeline.predict(rows) -- rows is a pandas "
            "DataFrame with the training columns (the target may be absent); needs the torchwork package."
        ),
    }


def _spec_of(payload: Any) -> ExperimentSpec:
    if isinstance(payload, str):
        return ExperimentSpec.from_json(payload)
    if isinstance(payload, dict):
        return ExperimentSpec.from_dict(payload)
    raise SpecError(f"the run's spec is a {type(payload).__name__}, not a spec")


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _plain(value: Any) -> Any:
    """numpy scalars and paths as plain JSON values."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
