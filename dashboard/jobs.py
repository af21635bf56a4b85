"""Training runs as the pages see them: starting and cancelling, progress, curves and headline scores."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from backend import data as tables
from backend.evaluate.metrics import METRICS
from backend.spec import ExperimentSpec, SpecError
from dashboard import dataset, services
from dashboard.state import Dataset
from dashboard.widgets import field_labels, md, plural, readable

ACTIVE = ("queued", "running")


def training_problems(ds: Dataset, frame: pd.DataFrame, spec: ExperimentSpec) -> tuple[list[str], dict | None]:
    """Everything that stops ``spec`` training on ``frame``, in the form's words; and, when nothing does,
    the pipeline it will build (:func:`services.describe`).

    The target's own problems come first, then the spec's against the data, then what only building the
    pipeline finds (a category column with too many values, a searched name the pipeline does not have or
    a searched value it refuses).
    """
    data, evaluation = spec.data, spec.evaluation
    n_folds = evaluation.folds if evaluation.mode == "cv" else None
    found = [md(e) for e in tables.check_target(frame, data.target, data.task, n_folds).errors]
    found += [readable(p) for p in spec.problems(**dataset.data_facts(frame, spec))]
    if found:
        return list(dict.fromkeys(found)), None
    try:
        description = services.describe(ds, spec, frame)
    except SpecError as exc:
        return [readable(p) for p in exc.problems], None
    searched = search_problems(ds, frame, spec)
    return ([_searched_readable(p) for p in searched], None) if searched else ([], description)


def _searched_readable(problem: str) -> str:
    """A search-space problem naming the form's control: ``search.space['lr']`` becomes **Learning rate to
    try** (a name no control sets keeps its own)."""
    from backend.spec.search import SEARCHABLE

    labels = field_labels()
    for path, name in SEARCHABLE.items():
        problem = problem.replace(f"search.space[{name!r}]", f"**{labels[path]} to try**")
    return readable(problem)


def search_problems(ds: Dataset, frame: pd.DataFrame, spec: ExperimentSpec) -> list[str]:
    """Why ``spec``'s search space does not fit its pipeline (unknown names, refused values); empty when it
    does or when ``spec`` searches nothing. Checked as the search itself checks, before any training."""
    if spec.search.mode == "none":
        return []
    return list(_search_problems(ds.key, spec.to_json(), frame))


@st.cache_data(show_spinner=False, max_entries=32)
def _search_problems(dataset_key: str, spec_json: str, _frame: pd.DataFrame) -> tuple[str, ...]:
    from backend.evaluate.search_space import resolve_space
    from backend.pipeline import build_pipeline

    spec = ExperimentSpec.from_json(spec_json)
    try:
        resolve_space(spec, build_pipeline(spec, _frame))
    except SpecError as exc:
        return tuple(exc.problems)
    return ()


def start_run(ds: Dataset, frame: pd.DataFrame, spec: ExperimentSpec, name: str) -> str:
    """Store a snapshot of ``frame`` and the validated ``spec`` as a new run, queue it, return its id.

    Raises
    ------
    SpecError
        The spec cannot train on this data; nothing is stored.
    """
    spec.validate(**dataset.data_facts(frame, spec))
    # The runner first: a runner starting up takes over every queued run, this one included.
    runner = services.runner()
    run_id = services.store().create_run(
        spec.to_dict(),
        frame,
        name=name,
        dataset=ds.label,
        target=spec.data.target,
        task=spec.data.task,
    )
    runner.submit(run_id)
    return run_id


def cancel_run(run_id: str) -> bool:
    """Cancel a queued or running run (its worker is stopped); False if it had already ended."""
    return services.runner().cancel(run_id)


@dataclass(frozen=True)
class Progress:
    """How far a run has got: a fraction for the bar, what it is doing, and time spent and left."""

    fraction: float
    message: str
    elapsed: float | None
    remaining: float | None


def progress(run: dict, epochs: pd.DataFrame) -> Progress:
    """The progress of ``run`` from its last progress event and the epochs of the step in progress.

    The remaining time assumes every step trains all its epochs, so early stopping can only make it
    shorter.
    """
    status = run["status"]
    started, finished = run.get("started_at"), run.get("finished_at")
    elapsed = None if started is None else (finished or time.time()) - started
    if status == "queued":
        return Progress(0.0, f"Queued: waiting for a free worker ({_queue_position(run)})", None, None)
    if status == "succeeded":
        return Progress(1.0, "Finished", elapsed, 0.0)
    events = services.store().events(run["id"], "progress")
    if not events:
        return Progress(0.0, "Starting…", elapsed, None)
    last = events[-1]["payload"]
    done, total = int(last["done"]), max(int(last["total"]), 1)
    max_epochs = max(int(run["spec"]["training"]["max_epochs"]), 1)
    # The step in progress is fold ``done``, or the final fit (fold -1) once every fold is done.
    fold = done if done < total - 1 else -1
    in_step = int((epochs["fold"] == fold).sum()) if "fold" in epochs else 0
    fraction = min((done + min(in_step / max_epochs, 1.0)) / total, 1.0)
    remaining = None
    if status == "running" and elapsed is not None and fraction > 0.02:
        remaining = elapsed * (1 - fraction) / fraction
    return Progress(fraction, str(last.get("message", "")), elapsed, remaining)


def _queue_position(run: dict) -> str:
    queued = services.store().list_runs(status="queued")
    ahead = sum(1 for other in queued if other["created_at"] < run["created_at"])
    return "next in line" if ahead == 0 else f"{plural(ahead, 'run')} ahead"


def part_labels(epochs: pd.DataFrame, mode: str) -> pd.DataFrame:
    """``epochs`` with a ``part`` column naming each fold (``fold 1``... or ``holdout``, ``final fit``).

    Rows are ordered folds first, the final fit last, so charts list them in that order.
    """
    if epochs.empty:
        return epochs.assign(part=pd.Series(dtype=str))

    def name(fold: int) -> str:
        if fold < 0:
            return "final fit"
        return "holdout" if mode == "holdout" else f"fold {fold + 1}"

    order = epochs["fold"].where(epochs["fold"] >= 0, 10**6)
    ordered = epochs.assign(_order=order).sort_values(["_order", "epoch"], kind="stable").drop(columns="_order")
    return ordered.assign(part=ordered["fold"].map(name))


def curve_metrics(epochs: pd.DataFrame) -> list[str]:
    """The quantities recorded per epoch as ``train_<x>``/``valid_<x>`` (loss first)."""
    names = {
        c.split("_", 1)[1]
        for c in epochs.columns
        if c.startswith(("train_", "valid_")) and not c.endswith("_best") and pd.api.types.is_numeric_dtype(epochs[c])
    }
    return sorted(names, key=lambda n: (n != "loss", n))


def scores(run: dict) -> dict[str, dict[str, float]]:
    """A finished run's scores: metric -> ``{"mean", "std"}`` over its folds (empty before it ends)."""
    return (run.get("summary") or {}).get("scores") or {}


def main_score(run: dict) -> tuple[str, float, float] | None:
    """The headline score of a finished run: ``(label, mean, std)``, or None without scores."""
    headline = (run.get("summary") or {}).get("headline")
    if not headline:
        return None
    return METRICS.get(headline["metric"], (headline["metric"],))[0], headline["mean"], headline["std"]


def files(run: dict) -> dict[str, Path]:
    """The run's downloadable files that exist: ``pipeline``, ``model_card``, ``oof`` -> path."""
    names = (run.get("summary") or {}).get("files") or {}
    folder = services.store().run_dir(run["id"])
    return {kind: folder / name for kind, name in names.items() if (folder / name).is_file()}


def model_summary(spec: dict[str, Any]) -> str:
    """A run's network and evaluation on one line, for tables: ``MLP 64-32 relu · 5-fold CV``,
    ``ConvNet 16-32 relu · 5-fold CV``, ``TextRNN lstm 64 · 5-fold CV``, ``Bag 64 · 3-fold CV``."""
    model, evaluation = spec.get("model", {}), spec.get("evaluation", {})
    architecture = str(model.get("architecture", "mlp"))
    if architecture == "convnet":
        words = ["ConvNet", "-".join(str(c) for c in model.get("conv_channels", [])), str(model.get("activation", ""))]
    elif architecture == "textrnn":
        bidirectional = "bidirectional " if model.get("bidirectional") else ""
        words = ["TextRNN", f"{bidirectional}{model.get('rnn_type', '')}", str(model.get("rnn_units", ""))]
    elif architecture == "bag":
        words = ["Bag", str(model.get("embedding_dim", ""))]
    else:
        words = [architecture.upper(), "-".join(str(u) for u in model.get("hidden_units", []))]
        words.append(str(model.get("activation", "")))
    if model.get("dropout"):
        words.append(f"dropout {model['dropout']:g}")
    if model.get("batch_norm") and architecture in ("mlp", "convnet"):
        words.append("batch norm")
    search = spec.get("search") or {}
    if search.get("mode", "none") != "none":
        scoring = f"{search['mode']} search, {search.get('folds')}-fold CV"
    elif evaluation.get("mode") == "holdout":
        scoring = f"holdout {evaluation.get('holdout_fraction', 0):g}"
    else:
        scoring = f"{evaluation.get('folds')}-fold CV"
    return f"{' '.join(w for w in words if w)} · {scoring}"


def duration(seconds: float | None) -> str:
    """Seconds as people read them: ``42 s``, ``3 min 05 s``, ``1 h 02 min``; an empty string for None."""
    if seconds is None:
        return ""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
