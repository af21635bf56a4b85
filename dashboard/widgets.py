"""Widgets drawn from spec field metadata, and the one way pages show a user's mistake."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from backend.spec import SECTIONS, FieldSpec, field_specs
from dashboard import state

#: How choice values read in the form; the spec stores the values themselves.
CHOICE_LABELS = {
    "mlp": "MLP (multilayer perceptron)",
    "convnet": "ConvNet (convolutional network)",
    "textrnn": "TextRNN (reads word order)",
    "bag": "Bag of word vectors (fast)",
    "lstm": "LSTM",
    "gru": "GRU",
    "rgb": "colour (RGB)",
    "cv": "k-fold cross-validation",
    "holdout": "holdout split",
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD with momentum",
    "rmsprop": "RMSprop",
    "relu": "ReLU",
    "gelu": "GELU",
    "leaky_relu": "leaky ReLU",
    "elu": "ELU",
    "standard": "standardise (mean 0, std 1)",
    "minmax": "min-max to [0, 1]",
    "robust": "robust (median and quartiles)",
    "most_frequent": "most frequent value",
    "constant": "a constant",
}


def fields_for(section: str, modality: str, architecture: str) -> list[str]:
    """The fields of ``section`` that apply to this kind of data and architecture (the spec's metadata)."""
    return [fs.name for fs in field_specs(SECTIONS[section]) if fs.applies_to(modality, architecture)]


def widget_key(section: str, name: str) -> str:
    """The session-state key of the widget editing ``section.name``."""
    return f"w.{section}.{name}"


def _parse_int_list(text: str) -> list[int]:
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"{text!r} is not a list of whole numbers; write sizes like 64, 32") from None


def _float_step(fs: FieldSpec, value: float) -> float:
    # A small value (a learning rate of 1e-3) steps by its own order of magnitude, so the arrows work.
    if 0 < value < 0.05:
        return 10.0 ** math.floor(math.log10(value))
    return 0.05 if fs.max is not None and fs.max <= 1 else 0.1


def spec_field(
    section: str,
    fs: FieldSpec,
    value: Any,
    disabled: bool = False,
    note: str = "",
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Draw the widget for one spec field and return what the user chose.

    The widget's bounds, choices, label and help text are the field's metadata; the value shown is
    ``value`` (the current spec) unless the user has already changed the widget on this page.
    ``choices`` narrows the field's choices (e.g. to the architectures for tables).
    """
    key = widget_key(section, fs.name)
    if key not in st.session_state:
        # Widgets forget their state when a page is left; the spec remembers, so seed from it.
        st.session_state[key] = ", ".join(str(v) for v in value) if fs.kind.endswith("_list") else value
    help_text = fs.help + (f" {note}" if note else "")
    common = {"label": fs.label, "key": key, "help": help_text, "disabled": disabled}
    if fs.kind == "bool":
        return st.toggle(**common)
    if fs.kind == "choice":
        options = list(choices or fs.choices or ())
        return st.selectbox(options=options, format_func=lambda c: CHOICE_LABELS.get(c, c), **common)
    if fs.kind == "int":
        return int(
            st.number_input(
                min_value=int(fs.min) if fs.min is not None else None,
                max_value=int(fs.max) if fs.max is not None else None,
                step=1,
                **common,
            )
        )
    if fs.kind == "float":
        return float(
            st.number_input(
                min_value=float(fs.min) if fs.min is not None else None,
                max_value=float(fs.max) if fs.max is not None else None,
                step=_float_step(fs, float(st.session_state[key])),
                format="%g",
                **common,
            )
        )
    text = st.text_input(**common)
    if fs.kind == "int_list":
        return _parse_int_list(text)
    if fs.kind == "text_list":
        return [p.strip() for p in text.split(",") if p.strip()]
    return text


def chosen_value(section: str, name: str) -> Any:
    """The value the user has chosen for ``section.name``: the widget's, if drawn, else the spec's.

    Read this, not the spec, to decide what applies: a widget changed by the click that caused this
    rerun reaches the spec only when its section is drawn.
    """
    return st.session_state.get(widget_key(section, name), state.spec_dict()[section][name])


def spec_section(
    section: str,
    names: list[str] | None = None,
    disabled: dict[str, str] | None = None,
    choices: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """Draw the widgets of one spec section (or only ``names``) and store the choices in the spec.

    ``disabled`` maps a field to why it does not apply now; its widget is greyed out with that reason.
    ``choices`` narrows the choices of some fields.
    A value that cannot be parsed (hidden layer sizes written wrongly) is reported under its widget and
    the spec keeps the previous value.
    """
    disabled, choices = disabled or {}, choices or {}
    current = state.spec_dict()[section]
    chosen = {}
    for fs in field_specs(SECTIONS[section]):
        if names is not None and fs.name not in names:
            continue
        reason = disabled.get(fs.name, "")
        try:
            chosen[fs.name] = spec_field(
                section, fs, current[fs.name], disabled=bool(reason), note=reason, choices=choices.get(fs.name)
            )
        except ValueError as exc:
            st.error(str(exc), icon=":material/error:")
    state.update_spec(section, chosen)
    return chosen


def readable(problem: str) -> str:
    """A spec problem in the words of the form: ``training.patience`` becomes **Patience**."""
    for section, cls in SECTIONS.items():
        for fs in field_specs(cls):
            problem = problem.replace(f"{section}.{fs.name}", f"**{fs.label}**")
    return problem


def forget_widgets(section: str, names: list[str]) -> None:
    """Drop widget state so the next run seeds the widgets from the spec again (after a reset)."""
    for name in names:
        st.session_state.pop(widget_key(section, name), None)


@contextmanager
def user_errors(prefix: str = "") -> Iterator[None]:
    """Show a ValueError or TypeError from the backend as ``st.error`` and carry on with the page.

    A user's mistake (a bad file, an impossible setting) reaches the page as one of these; the message
    already says what was wrong and what to do, so no traceback is shown.
    """
    try:
        yield
    except (ValueError, TypeError) as exc:
        st.error(f"{prefix}{exc}" if prefix else str(exc), icon=":material/error:")

