"""What every page shares: this server's run store and job runner, and tables parsed once per content."""

from __future__ import annotations

import atexit
import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from backend import data as tables
from backend.home import torchwork_home
from backend.limits import ENV as LIMIT_ENV
from backend.limits import load_limits
from backend.runs import JobRunner, RunStore
from backend.spec import ExperimentSpec
from dashboard.state import Dataset

#: The environment variable that sets how many training jobs run at once (the rest wait in the queue).
MAX_JOBS_ENV = LIMIT_ENV["max_jobs"]

_RUNNERS: list[JobRunner] = []


def home() -> Path:
    """Torchwork's home folder (``$TORCHWORK_HOME`` or ``~/.torchwork``)."""
    return torchwork_home()


def max_jobs() -> int:
    """How many jobs run at once: ``$TORCHWORK_MAX_JOBS``, 1 by default (see :mod:`backend.limits`).

    Raises
    ------
    ValueError
        The variable is not a whole number of at least 1.
    """
    return load_limits().max_jobs


@st.cache_resource(show_spinner=False)
def _store_for(home: str) -> RunStore:
    store = RunStore(Path(home))
    # Runs whose worker died with a previous server show as interrupted on every page, not just Train.
    store.mark_interrupted_runs()
    return store


@st.cache_resource(show_spinner=False)
def _runner_for(home: str, max_concurrent: int) -> JobRunner:
    runner = JobRunner(_store_for(home), max_concurrent=max_concurrent)
    _RUNNERS.append(runner)
    return runner


def store() -> RunStore:
    """The run store in Torchwork's home, one per server process."""
    return _store_for(str(home()))


def runner() -> JobRunner:
    """The job runner of this server process, created on first use (it keeps a worker warm)."""
    return _runner_for(str(home()), max_jobs())


def shutdown_runners() -> None:
    """Stop every job runner of this process; its running jobs end as interrupted."""
    while _RUNNERS:
        _RUNNERS.pop().shutdown()


# A server that stops must not leave workers behind, and its runs must not look alive afterwards.
atexit.register(shutdown_runners)


def digest(content: bytes) -> str:
    """The SHA-256 of an upload: the key its parsed table is cached under."""
    return hashlib.sha256(content).hexdigest()


@st.cache_data(show_spinner="Reading the file…", max_entries=16)
def _parse(key: str, filename: str, sheet: str | None, _content: bytes) -> pd.DataFrame:
    # ``key`` holds the content's hash, so the bytes themselves need not be hashed on every rerun.
    return tables.read_table(_content, filename=filename, sheet=sheet)


@st.cache_data(show_spinner=False, max_entries=16)
def _sheets(key: str, filename: str, _content: bytes) -> list[str]:
    return tables.list_sheets(_content, filename)


@st.cache_data(show_spinner=False)
def _sample(name: str) -> pd.DataFrame:
    return tables.load_sample(name)


def sheets(filename: str, content: bytes) -> list[str]:
    """The sheets of an uploaded workbook (parsed once per content)."""
    return _sheets(digest(content), filename, content)


def frame(ds: Dataset) -> pd.DataFrame:
    """The table of ``ds``, parsed once per content and sheet.

    Raises
    ------
    TableReadError
        The upload is not a readable table; the message says why.
    UnsafeArchiveError, ImageArchiveError
        An uploaded zip of images is refused or unusable.
    """
    if ds.sample is not None:
        return _sample(ds.sample)
    if ds.modality == "images":
        from dashboard.media import image_set

        return image_set(ds).frame
    assert ds.content is not None and ds.filename is not None
    return _parse(ds.key, ds.filename, ds.sheet, ds.content)


@st.cache_data(show_spinner=False, max_entries=16)
def _schema(key: str, _frame: pd.DataFrame) -> list[tables.ColumnInfo]:
    return tables.infer_schema(_frame)


def schema(ds: Dataset) -> list[tables.ColumnInfo]:
    """The inferred schema of ``ds`` (computed once per dataset)."""
    return _schema(ds.key, frame(ds))



@st.cache_resource(show_spinner="Opening the model…", max_entries=8)
def _pipeline(key: str, home: str, _content: bytes) -> object:
    from backend.artifacts import load_pipeline

    return load_pipeline(_content, Path(home))


def pipeline_from(content: bytes) -> object:
    """The fitted pipeline in ``content``, opened once per content, only if this installation signed it.

    Raises
    ------
    ArtifactRejected
        The file was not produced here (or was changed); nothing in it was unpickled.
    """
    return _pipeline(digest(content), str(home()), content)


@st.cache_data(show_spinner="Describing the pipeline…", max_entries=32)
def _describe(dataset_key: str, spec_json: str, _frame: pd.DataFrame) -> dict:
    from backend.pipeline import describe_pipeline

    return describe_pipeline(ExperimentSpec.from_json(spec_json), _frame)


def describe(ds: Dataset, spec: ExperimentSpec, frame: pd.DataFrame) -> dict:
    """What the pipeline for ``spec`` on ``ds`` will be (computed once per dataset and spec).

    Building it checks what field validation cannot: a category column with too many values, no
    column left to learn from.

    Raises
    ------
    SpecError
        The pipeline cannot be built on this data.
    """
    return _describe(ds.key, spec.to_json(), frame)
