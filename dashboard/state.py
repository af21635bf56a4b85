"""What a browser session remembers across pages: the chosen dataset, the spec being edited, the run in view.

Widgets forget their values when their page is left, so the values that matter live here under plain
session-state keys, and widgets are seeded from them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from backend.spec import ExperimentSpec

DATASET = "tw.dataset"
SPEC = "tw.spec"
RUN = "tw.run"


@dataclass(frozen=True)
class Dataset:
    """The table the session works on: a bundled sample or an upload (whose bytes are kept here).

    ``key`` identifies the parsed content, so caches and widgets can tell one dataset from another;
    ``modality`` is the kind of data (``"table"``, ``"images"`` from a zip, or ``"text"``).
    """

    label: str
    key: str
    filename: str | None = None
    sheet: str | None = None
    sample: str | None = None
    content: bytes | None = field(default=None, repr=False, compare=False)
    modality: str = "table"


def dataset() -> Dataset | None:
    """The dataset chosen on the Data page, or None before one is chosen."""
    return st.session_state.get(DATASET)


def set_dataset(ds: Dataset) -> bool:
    """Make ``ds`` the session's dataset; return whether it differs from the previous one."""
    previous = dataset()
    st.session_state[DATASET] = ds
    return previous is None or previous.key != ds.key


def spec_dict() -> dict[str, dict[str, Any]]:
    """The spec being edited, as :meth:`ExperimentSpec.to_dict` output (a copy; edit with the setters)."""
    if SPEC not in st.session_state:
        st.session_state[SPEC] = ExperimentSpec().to_dict()
    return copy.deepcopy(st.session_state[SPEC])


def update_spec(section: str, values: dict[str, Any]) -> None:
    """Overwrite some fields of one section of the spec being edited."""
    spec = spec_dict()
    spec[section].update(values)
    st.session_state[SPEC] = spec


def replace_spec(spec: dict[str, dict[str, Any]]) -> None:
    """Replace the whole spec being edited (e.g. with a stored run's spec)."""
    st.session_state[SPEC] = copy.deepcopy(spec)


def current_spec() -> ExperimentSpec:
    """The spec being edited as an :class:`ExperimentSpec` (not validated).

    Raises
    ------
    SpecError
        The stored values do not form a spec (an unknown field).
    """
    return ExperimentSpec.from_dict(spec_dict())


def run_id() -> str | None:
    """The run in view on the Train and Results pages; a ``?run=`` in the URL restores it after a refresh."""
    if RUN not in st.session_state:
        st.session_state[RUN] = st.query_params.get("run") or None
    return st.session_state[RUN]


def show_run(run: str | None) -> None:
    """Put ``run`` in view and in the URL, so a refresh or a shared link comes back to it."""
    st.session_state[RUN] = run
    sync_url()


def sync_url() -> None:
    """Keep ``?run=`` in the URL in step with the run in view (page switches drop query parameters)."""
    run = run_id()
    if run is None:
        st.query_params.pop("run", None)
    elif st.query_params.get("run") != run:
        st.query_params["run"] = run
