"""The training job: what a worker process runs for one stored run (evaluate, fit, save, describe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from backend.artifacts import write_signed
from backend.artifacts.run_files import MODEL_CARD_FILE, PIPELINE_FILE, write_run_artifacts
from backend.evaluate import ExperimentResult, run_experiment
from backend.runs.store import RunNotFound, RunStore
from backend.spec import ExperimentSpec, SpecError

__all__ = ["HEADLINE_METRIC", "MODEL_CARD_FILE", "OOF_FILE", "PIPELINE_FILE", "train_run", "warm_up"]

OOF_FILE = "oof.csv"

#: The score a run is listed by.
HEADLINE_METRIC = {"classification": "accuracy", "regression": "r2"}


def warm_up() -> None:
    """Pay the first fit's one-off costs ahead, in an idle worker: torch's optimizers import
    ``torch._dynamo`` (over a second) the first time one is built."""
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def train_run(store: RunStore, run_id: str) -> None:
    """Train the run ``run_id``: evaluate its spec on its data, fit the final pipeline and save it.

    Epochs go to ``store.add_epoch`` as they end (``fold`` -1 is the final fit); ``progress`` and
    ``fold_end`` events to ``store.add_event``. Then ``store.set_result``: ``fold_scores`` (one record
    per fold), ``scores`` (metric -> mean/std), ``omitted`` (metric -> reason), ``classes``, and ``onnx``
    (the ONNX export's report with its parity figures, or why there is none); ``store.set_summary``:
    ``evaluation``, ``headline`` (``{"metric", "mean", "std"}``), ``scores``, ``n_rows``, ``n_dropped``,
    ``duration_s`` and ``files`` (kind -> file name). The run folder receives, each signed, the out-of-fold
    predictions (``oof.csv``) and what :func:`backend.artifacts.write_run_artifacts` writes: the pipeline
    (``pipeline.pkl``), the reproduction script (``reproduce.py``), the ONNX network (``model.onnx``, with
    the onnx extra) and the model card (``model_card.json``).

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
    write_signed(result.oof.to_csv(index=False), folder / OOF_FILE, "predictions", store.home)
    written = write_run_artifacts(spec, frame, result, folder, run_id=run_id, home=store.home)
    store.set_result(run_id, "fold_scores", result.fold_scores.to_dict(orient="records"))
    store.set_result(run_id, "scores", result.summary)
    store.set_result(run_id, "omitted", result.omitted)
    store.set_result(run_id, "classes", [_plain(c) for c in result.classes])
    store.set_result(run_id, "onnx", written["onnx"])
    store.set_summary(run_id, _summary(spec, frame, result, written["files"]))


def _summary(
    spec: ExperimentSpec, frame: pd.DataFrame, result: ExperimentResult, files: dict[str, str]
) -> dict[str, Any]:
    """What the Runs page lists: the headline score, every score, the row counts and the run's files."""
    metric = HEADLINE_METRIC[spec.data.task]
    return {
        "evaluation": spec.evaluation.mode,
        "headline": {"metric": metric, **result.summary[metric]} if metric in result.summary else None,
        "scores": result.summary,
        "n_rows": int(len(frame) - result.n_dropped),
        "n_dropped": result.n_dropped,
        "duration_s": round(result.duration, 3),
        "files": {**files, "oof": OOF_FILE},
    }


def _spec_of(payload: Any) -> ExperimentSpec:
    if isinstance(payload, str):
        return ExperimentSpec.from_json(payload)
    if isinstance(payload, dict):
        return ExperimentSpec.from_dict(payload)
    raise SpecError(f"the run's spec is a {type(payload).__name__}, not a spec")


def _plain(value: Any) -> Any:
    """numpy scalars and paths as plain JSON values."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
