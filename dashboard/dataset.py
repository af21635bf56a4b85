"""The session's dataset: choosing one, and the target, task and split defaults that follow from it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from backend import data as tables
from backend.spec import ExperimentSpec
from backend.spec.sections import ARCHITECTURES_FOR
from dashboard import services, state
from dashboard.media import ALL_SAMPLES, infer_modality
from dashboard.state import Dataset
from dashboard.widgets import forget_widgets

#: File types the uploaders accept: what ``backend.data.read_table`` reads.
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "parquet", "pq", "jsonl", "ndjson", "json"]


def sample_dataset(name: str) -> Dataset:
    """The bundled sample ``name`` as a :class:`Dataset`."""
    info = ALL_SAMPLES[name]
    return Dataset(label=info.title, key=f"sample:{name}", sample=name, modality=info.modality)


def upload_dataset(filename: str, content: bytes, sheet: str | None = None) -> Dataset:
    """An uploaded file (and sheet) as a :class:`Dataset`, keyed by its content's hash."""
    label = filename if sheet is None else f"{filename} [{sheet}]"
    return Dataset(
        label=label,
        key=f"upload:{services.digest(content)}:{sheet or ''}",
        filename=filename,
        sheet=sheet,
        content=content,
    )


def active() -> tuple[Dataset, pd.DataFrame]:
    """The session's dataset and its table; the default sample until the user picks another.

    Raises
    ------
    TableReadError
        The chosen upload cannot be read.
    """
    ds = state.dataset()
    if ds is None:
        ds = sample_dataset(tables.DEFAULT_SAMPLE)
        choose(ds, services.frame(ds))
    return ds, services.frame(ds)


def choose(ds: Dataset, frame: pd.DataFrame) -> None:
    """Make ``ds`` (already parsed as ``frame``) the session's dataset.

    A new dataset resets the target (a sample's own target, else the last column), the task (the
    sample's, else inferred), the kind of data (the dataset's, or inferred from the columns) and the
    excluded columns; model and training settings are kept, but an architecture that cannot read the
    data gives way to one that can.
    """
    if not state.set_dataset(ds):
        return
    if ds.sample is not None:
        info = ALL_SAMPLES[ds.sample]
        target, task = info.target, info.task
    else:
        target = str(frame.columns[-1])
        task = tables.infer_task(frame[target]).task if frame[target].ndim == 1 else "classification"
    modality = ds.modality if ds.modality != "table" else infer_modality(frame, target)
    state.update_spec("data", {"exclude": []})
    forget_widgets("data", ["target"])
    choose_target(target, task)
    set_modality(modality)


def set_modality(modality: str) -> None:
    """Switch the kind of data; the architecture follows when it cannot read the new kind."""
    spec = state.spec_dict()
    if spec["data"]["modality"] != modality:
        state.update_spec("data", {"modality": modality, "input_column": ""})
        forget_widgets("data", ["modality", "input_column"])
    if spec["model"]["architecture"] not in ARCHITECTURES_FOR[modality]:
        state.update_spec("model", {"architecture": ARCHITECTURES_FOR[modality][0]})
        forget_widgets("model", ["architecture"])


def choose_target(target: str, task: str) -> None:
    """Set the target and task, and the settings that only make sense for one task."""
    spec = state.spec_dict()
    exclude = [c for c in spec["data"]["exclude"] if c != target]
    state.update_spec("data", {"target": target, "exclude": exclude})
    set_task(task)
    # The widgets drawn after the target start again from the spec.
    forget_widgets("data", ["task", "exclude"])


def set_task(task: str) -> None:
    """Switch the task; stratified splits and class weights apply to classification only."""
    changed = state.spec_dict()["data"]["task"] != task
    state.update_spec("data", {"task": task})
    if changed:
        state.update_spec("evaluation", {"stratified": task == "classification"})
        if task == "regression":
            state.update_spec("training", {"class_weight": "none"})
        forget_widgets("evaluation", ["stratified"])
        forget_widgets("training", ["class_weight"])


def data_facts(frame: pd.DataFrame, spec: ExperimentSpec) -> dict[str, Any]:
    """What :meth:`ExperimentSpec.validate` checks against: rows with a target, class counts, columns."""
    columns = [str(c) for c in frame.columns]
    target = spec.data.target
    if target not in columns or frame[target].ndim != 1:
        return {"columns": columns}
    known = frame[target].dropna()
    counts = None
    if spec.data.task == "classification":
        counts = {k: int(v) for k, v in known.value_counts().items()}
    return {"n_rows": len(known), "class_counts": counts, "columns": columns}
