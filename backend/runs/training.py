"""The training job: what a worker process runs for one stored run (evaluate, fit, save, describe)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from backend.artifacts import write_signed
from backend.artifacts.run_files import MODEL_CARD_FILE, PIPELINE_FILE, write_run_artifacts
from backend.compute import load_compute_settings
from backend.evaluate import ExperimentResult, SearchResult, run_experiment, run_search
from backend.evaluate.search_space import candidate_spec
from backend.jsonable import plain
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

    Cross-validation folds, and a search's candidates and their folds, run on the compute target of the
    home's settings (:func:`backend.compute.load_compute_settings`); the final fit runs in this process.

    A spec with a search (``spec.search.mode`` not ``none``) runs :func:`backend.evaluate.run_search`.
    Epochs then carry ``candidate`` and ``iteration``, and the events are those ``run_search`` reports.
    The best candidate is stored as a single run is (its folds' scores, out-of-fold predictions, refitted
    pipeline and files, described by the spec of that candidate when its parameters are spec fields), plus the
    results ``cv_results`` (scikit-learn's ``cv_results_``, one record per row, NaN as None) and ``search``
    (``mode``, ``metric``, ``greater_is_better``, ``best_params``, ``best_candidate``, ``best_score``,
    ``n_candidates``, ``n_fits``, ``planned_fits``, ``stopped_early``, ``compute``), which the summary and
    the model card carry too; the summary's ``evaluation`` is ``"search"``.

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

    compute = load_compute_settings(store.home)
    if spec.search.mode == "none":
        _save(store, run_id, spec, frame, run_experiment(spec, frame, report=report, compute=compute))
        return
    searched = run_search(spec, frame, report=report, compute=compute)
    outline = _search_outline(searched)
    store.set_result(run_id, "cv_results", _records(searched.cv_results))
    store.set_result(run_id, "search", outline)
    best_spec = candidate_spec(spec, searched.best_params) or spec
    _save(store, run_id, best_spec, frame, searched.best, search=outline)


def _save(
    store: RunStore,
    run_id: str,
    spec: ExperimentSpec,
    frame: pd.DataFrame,
    result: ExperimentResult,
    search: dict[str, Any] | None = None,
) -> None:
    """Write a run's files (predictions, pipeline, script, ONNX, model card) and its results and summary."""
    folder = store.run_dir(run_id)
    write_signed(result.oof.to_csv(index=False), folder / OOF_FILE, "predictions", store.home)
    card_extras = {"search": search} if search is not None else None
    written = write_run_artifacts(
        spec, frame, result, folder, run_id=run_id, home=store.home, card_extras=card_extras
    )
    store.set_result(run_id, "fold_scores", result.fold_scores.to_dict(orient="records"))
    store.set_result(run_id, "scores", result.summary)
    store.set_result(run_id, "omitted", result.omitted)
    store.set_result(run_id, "classes", [plain(c) for c in result.classes])
    store.set_result(run_id, "onnx", written["onnx"])
    summary = _summary(spec, frame, result, written["files"])
    if search is not None:
        summary.update(evaluation="search", search=search)
    store.set_summary(run_id, summary)


def _search_outline(result: SearchResult) -> dict[str, Any]:
    """What a search found and how it went, JSON-ready."""
    return {
        "mode": result.plan.mode,
        "metric": result.metric,
        "greater_is_better": result.greater_is_better,
        "best_params": result.best_params,
        "best_candidate": result.best_candidate,
        "best_score": result.best_score,
        "n_candidates": result.n_candidates,
        "n_fits": result.n_fits,
        "planned_fits": result.plan.n_fits - 1,
        "stopped_early": result.stopped_early,
        "compute": result.compute,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts, missing numbers as None (JSON has no NaN)."""
    return [
        {key: None if isinstance(v, float) and math.isnan(v) else plain(v) for key, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


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
