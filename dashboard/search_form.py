"""The Model page's search form: several values or a range per hyperparameter, the plan and a time estimate.

Each searchable setting (``backend.spec.search.SEARCHABLE``) that applies to the chosen kind of data and
architecture gets one control. Numbers take a list (``0.001, 0.01``) or a range (``0.0001 .. 0.1 log``);
hidden layers and convolution blocks take layouts separated by ``;``; choices and switches take a
multiselect. A control left empty is not searched: the setting above applies.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pandas as pd
import streamlit as st

from backend.compute import ComputeSettingsError, load_compute_settings
from backend.spec import SECTIONS, ExperimentSpec, FieldSpec, SpecError, field_specs
from backend.spec.search import SCORING_BY_TASK, SEARCHABLE
from dashboard import jobs, services, state
from dashboard.state import Dataset
from dashboard.widgets import CHOICE_LABELS, chosen_value, spec_section, user_errors, widget_key

#: Session-state key of the last timed fit: ``{"key": ..., "seconds": ...}``.
ESTIMATE = "tw.search_estimate"
_SWITCH = {False: "off", True: "on"}


class SearchValuesError(ValueError):
    """A search control whose text is not a list of values or a range; the message shows how to write one."""


def _field(path: str) -> FieldSpec:
    section, name = path.split(".")
    return next(fs for fs in field_specs(SECTIONS[section]) if fs.name == name)


def _number(text: str, whole: bool, label: str) -> int | float:
    try:
        value = float(text)
    except ValueError:
        raise SearchValuesError(
            f"{label}: {text!r} is not a number; write values like 0.001, 0.01 or a range like 0.0001 .. 0.1 log"
        ) from None
    if whole:
        if value != int(value):
            raise SearchValuesError(f"{label}: {text!r} is not a whole number; write values like 10, 20")
        return int(value)
    return value


def parse_values(fs: FieldSpec, text: str) -> dict[str, Any] | None:
    """The search-space entry written in a number or layer control; None when the text is empty.

    ``"0.001, 0.01"`` is a list of values, ``"0.0001 .. 0.1 log"`` a (log-uniform) range, and for hidden
    layers ``"32; 64, 32"`` two layouts.

    Raises
    ------
    SearchValuesError
        The text is neither, with an example of what to write.
    """
    text = text.strip()
    if not text:
        return None
    if fs.kind == "int_list":
        layouts = []
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            sizes = [p for p in part.replace(" ", ",").split(",") if p]
            if not sizes or not all(s.isdigit() and int(s) > 0 for s in sizes):
                raise SearchValuesError(
                    f"{fs.label}: {part!r} is not a layout of layer sizes; write layouts like 32; 64, 32"
                )
            layouts.append([int(s) for s in sizes])
        return {"values": layouts}
    whole = fs.kind == "int"
    if ".." in text:
        low_text, _, rest = text.partition("..")
        words = rest.split()
        log = len(words) == 2 and words[1].lower() == "log"
        if not words or len(words) > 2 or (len(words) == 2 and not log):
            raise SearchValuesError(f"{fs.label}: write a range as low .. high, or low .. high log")
        low, high = _number(low_text.strip(), whole, fs.label), _number(words[0], whole, fs.label)
        return {"low": low, "high": high, "log": log}
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    return {"values": list(dict.fromkeys(_number(p, whole, fs.label) for p in parts))}


def format_values(fs: FieldSpec, entry: Any) -> str:
    """The text a number or layer control shows for a stored search-space entry (the inverse of parsing)."""
    if entry is None:
        return ""
    if isinstance(entry, list | tuple):
        entry = {"values": list(entry)}
    if "values" in entry:
        if fs.kind == "int_list":
            return "; ".join(", ".join(str(u) for u in layout) for layout in entry["values"])
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in entry["values"])
    log = " log" if entry.get("log") else ""
    return f"{entry['low']:g} .. {entry['high']:g}{log}"


#: What each number or layer control suggests writing: a list, and for random and halving search a range.
_EXAMPLES = {
    "training.lr": ("0.001, 0.01", "0.0001 .. 0.1 log"),
    "training.max_epochs": ("10, 20", "10 .. 50"),
    "training.batch_size": ("32, 64", "16 .. 128"),
    "model.dropout": ("0, 0.2", "0 .. 0.5"),
    "model.hidden_units": ("32; 64, 32", "32; 64, 32"),
    "model.conv_channels": ("16; 16, 32", "16; 16, 32"),
    "model.kernel_size": ("3, 5", "3 .. 7"),
    "model.embedding_dim": ("32, 64", "16 .. 128 log"),
    "model.rnn_units": ("32, 64", "16 .. 256 log"),
    "model.rnn_layers": ("1, 2", "1 .. 3"),
}


def searchable_for(modality: str, architecture: str) -> dict[str, str]:
    """The searchable settings (spec field -> net parameter) that apply to this data and architecture."""
    return {path: name for path, name in SEARCHABLE.items() if _field(path).applies_to(modality, architecture)}


def _control(path: str, entry: Any, grid: bool) -> Any:
    """Draw the control of one searchable setting; return its search-space entry (None: not searched)."""
    fs = _field(path)
    key = widget_key("search", f"space.{path}")
    help_text = f"{fs.help} Leave empty to keep the setting above."
    if fs.kind in ("choice", "bool"):
        options = list(fs.choices or ()) if fs.kind == "choice" else [False, True]
        if key not in st.session_state:
            stored = (entry or {}).get("values", entry) if isinstance(entry, dict) else entry
            st.session_state[key] = [v for v in (stored or []) if v in options]
        chosen = st.multiselect(
            f"{fs.label} to try",
            options,
            key=key,
            help=help_text,
            placeholder="Not searched",
            format_func=lambda v: _SWITCH[v] if isinstance(v, bool) else CHOICE_LABELS.get(v, v),
        )
        return {"values": list(chosen)} if chosen else None
    if key not in st.session_state:
        st.session_state[key] = format_values(fs, entry)
    listed, ranged = _EXAMPLES.get(path, ("", ""))
    example = listed if grid else f"{listed}, or {ranged}" if ranged != listed else listed
    text = st.text_input(f"{fs.label} to try", key=key, help=help_text, placeholder=f"Not searched (e.g. {example})")
    return parse_values(fs, text)


def _space_controls(grid: bool, searchable: dict[str, str]) -> dict[str, Any]:
    """A control for each of ``searchable``'s settings, in two columns; the search space they describe.

    A stored entry of a setting that does not apply (searched before the architecture changed) is dropped.
    """
    stored = state.spec_dict()["search"]["space"]
    space: dict[str, Any] = {}
    cells = st.columns(2)
    for i, (path, name) in enumerate(searchable.items()):
        with cells[i % 2]:
            try:
                entry = _control(path, stored.get(name), grid)
            except SearchValuesError as exc:
                st.error(str(exc), icon=":material/error:")
                entry = stored.get(name)
            if entry is not None:
                space[name] = entry
    return space


def n_workers() -> str:
    """Where a search's fits would run now, in words, for the estimate (local processes or a cluster)."""
    try:
        settings = load_compute_settings(services.home())
    except ComputeSettingsError:
        return "1 process"
    if settings.target == "dask":
        return f"the Dask cluster at {settings.scheduler}"
    count = _parallel()
    return f"{count} local process{'es' if count != 1 else ''}"


def _parallel() -> int:
    try:
        settings = load_compute_settings(services.home())
    except ComputeSettingsError:
        return 1
    if settings.target == "dask":
        return 1  # unknown until the cluster is asked; the estimate says so
    return max(os.cpu_count() or 1, 1) if settings.n_jobs == -1 else max(settings.n_jobs, 1)


def _estimate_key(ds: Dataset, spec: ExperimentSpec) -> str:
    # The timed fit uses the settings above and the search folds; the searched values do not change it.
    payload = spec.to_dict()
    payload["search"] = {"folds": payload["search"]["folds"]}
    return f"{ds.key}:{json.dumps(payload, sort_keys=True)}"


def _plan(ds: Dataset, frame: pd.DataFrame, spec: ExperimentSpec) -> None:
    """The search's candidates × folds before it starts, and a time estimate from one timed fit."""
    from backend.evaluate.search_plan import plan_search

    target = frame[spec.data.target].dropna()
    n_classes = int(target.nunique()) if spec.data.task == "classification" else None
    try:
        plan = plan_search(spec, len(target), n_classes)
    except (SpecError, ValueError):
        st.caption("The number of fits and the time estimate appear once the settings are valid (see below).")
        return
    rounds = (
        " then ".join(f"{c} on {r:,} rows" for c, r in plan.rounds) if plan.mode == "halving" else ""
    )
    text = f"**{plan.n_candidates} candidates × {plan.n_folds} folds = {plan.n_fits - 1} fits**, plus one refit of the best"
    if rounds:
        text = f"**{plan.n_fits - 1} fits** in halving rounds ({rounds}), plus one refit of the best"
    st.markdown(text)
    key = _estimate_key(ds, spec)
    timed = st.session_state.get(ESTIMATE)
    left, right = st.columns([1, 3], vertical_alignment="center")
    if left.button(
        "Estimate the time",
        icon=":material/timer:",
        help="Times one fit of the settings above on a search fold's share of the rows, here and now.",
    ):
        with user_errors(), st.spinner("Timing one fit…"):
            from backend.evaluate.search import time_first_fit
            from backend.runs.training import warm_up

            warm_up()  # a worker pays torch's one-off first-fit costs before any search: leave them out
            timed = {"key": key, "seconds": time_first_fit(spec, frame)}
            st.session_state[ESTIMATE] = timed
    if timed and timed["key"] == key:
        seconds = timed["seconds"]
        parallel = _parallel()
        total = seconds * plan.n_fits / parallel
        right.info(
            f"**Estimate: about {jobs.duration(total) or '0 s'}** on {n_workers()} — one timed fit took "
            f"{seconds:.1f} s, times {plan.n_fits} fits"
            + (f", shared by {parallel} processes" if parallel > 1 else "")
            + ". Candidates with more epochs or wider layers take longer; early stopping, less.",
            icon=":material/timer:",
        )
    else:
        right.caption("Estimate: press the button to time one fit (takes about as long as one fit).")


def search_section(ds: Dataset, frame: pd.DataFrame, task: str) -> None:
    """The Model page's search settings: mode, searched values, budget, scoring, folds and the plan."""
    st.subheader("Hyperparameter search")
    top = st.columns(3)
    with top[0]:
        mode = spec_section("search", ["mode"]).get("mode", state.spec_dict()["search"]["mode"])
    if mode == "none":
        top[1].caption("Choose grid, random or halving to try several settings and keep the best.")
        return
    disabled = {
        "n_candidates": "(Grid search tries its whole grid.)" if mode == "grid" else "",
        "halving_factor": "" if mode == "halving" else "(Halving search only.)",
    }
    cells = [*top[1:], *st.columns(3)]
    for cell, name in zip(cells, ["scoring", "folds", "n_candidates", "time_limit_s", "halving_factor"], strict=True):
        with cell:
            spec_section("search", [name], choices={"scoring": SCORING_BY_TASK.get(task)}, disabled=disabled)
    st.caption(
        "Each candidate is scored by cross-validation on the search folds (stratified and shuffled as the "
        "Evaluation settings say); the best is then refitted on every row and becomes the run's model."
    )
    searchable = searchable_for(state.spec_dict()["data"]["modality"], chosen_value("model", "architecture"))
    layouts = [_field(path).label.lower() for path in searchable if _field(path).kind == "int_list"]
    st.markdown(
        "**Values to try** — numbers: a list (`0.001, 0.01`)"
        + (" or a range (`0.0001 .. 0.1 log`, sampled log-uniformly)" if mode != "grid" else "")
        + "".join(f"; {label}: layouts separated by `;` (`32; 64, 32`)" for label in layouts)
        + "."
    )
    space = _space_controls(mode == "grid", searchable)
    state.update_spec("search", {"space": space})
    with user_errors():
        _plan(ds, frame, state.current_spec())
