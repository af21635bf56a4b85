"""Widgets drawn from spec field metadata, and the one way pages show a user's mistake."""

from __future__ import annotations

import math
import re
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


#: Characters that make Markdown (or Streamlit's ``$math$``) out of plain text anywhere in a line.
_MARKDOWN = re.compile(r"([\\`*<~$|&@])")
#: What is Markdown only in some places: a run of ``_`` at the edge of a word (inside one it is no
#: emphasis), the ``](`` of a link or an image, the ``:`` opening Streamlit's ``:color[...]`` or
#: ``:material/icon:``, a URL's ``://`` and ``www.``; and block markers at the start of the text.
_PLACED = re.compile(
    r"(?<![A-Za-z0-9_])_+|_+(?![A-Za-z0-9_])|\](?=\()|(?<=[A-Za-z]):(?=//)|(?<=www)\.|:(?=[\w-]+[/:\[])",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^(\s*)([-+#=>]|\d+(?=[.)]))")


def md(text: object, start: bool = True) -> str:
    """User text (a file name, a dataset label, a run name, a column name) made safe for Markdown: what
    Markdown would read as syntax is escaped, so the text shows literally, never as a link or an image.

    ``start=False`` for text that never begins a line (a list or heading marker means nothing there).
    """
    text = " ".join(str(text).splitlines())
    text = _PLACED.sub(lambda m: "".join("\\" + c for c in m[0]), _MARKDOWN.sub(r"\\\1", text))
    if not start:
        return text
    return _LEADING.sub(lambda m: m[1] + ("\\" + m[2] if not m[2][0].isdigit() else m[2] + "\\"), text)


def code(text: object) -> str:
    """User text shown as inline code (a column name): a code span is literal, so nothing is escaped; its
    fence is longer than any run of backticks inside."""
    text = " ".join(str(text).splitlines())
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``1 run``, ``2 runs``, ``1,000 rows`` (``many`` for an irregular plural: ``plural(n, "class", "classes")``)."""
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"


#: Where each setting of the form lives, for messages shown on another page than its own.
_PLACES = {
    "data.target": "Data page",
    "data.task": "Data page",
    "data.exclude": "Data page",
    "data.input_column": "Data page",
    "data.modality": "Data page",
    **{f"data.{name}": "Model page → Preprocessing" for name in (
        "numeric_impute", "numeric_scaler", "categorical_impute", "max_categories", "scale_target"
    )},
    "model": "Model page → Architecture",
    "training": "Model page → Training",
    "evaluation": "Model page → Evaluation",
    "search": "Model page → Search",
}
_PATH = re.compile(r"\b(data|model|training|evaluation|search)\.([a-z_]+)\b")


def field_labels() -> dict[str, str]:
    """Each spec field (``"training.patience"``) -> its label on the form (``"Patience"``)."""
    return {f"{section}.{fs.name}": fs.label for section, cls in SECTIONS.items() for fs in field_specs(cls)}


def readable(problem: str, places: bool = False) -> str:
    """A spec problem in the words of the form, as safe Markdown: ``training.patience`` becomes
    **Patience**, a bare field name (``max_categories``) its label too, and the rest of the message (which
    may quote column names) is escaped. With ``places``, a setting's first mention also says where it is
    (``**Most categories per column** (Model page → Preprocessing)``).
    """
    labels = field_labels()
    bare = {path.split(".", 1)[1]: path for path in labels if "_" in path.split(".", 1)[1]}
    names = "|".join(map(re.escape, sorted(bare, key=len, reverse=True)))
    # A label already put in bold (a searched setting's) is kept as it is.
    pattern = re.compile(rf"{_PATH.pattern}|\b({names})\b|(\*\*[\w ,'’→-]+\*\*)")
    out, seen, at = [], set(), 0
    for match in pattern.finditer(problem):
        if match[4]:
            out += [md(problem[at : match.start()], start=at == 0), match[4]]
            at = match.end()
            continue
        path = f"{match[1]}.{match[2]}" if match[1] else bare[match[3]]
        if path not in labels:
            continue
        out.append(md(problem[at : match.start()], start=at == 0))
        label = f"**{md(labels[path])}**"
        if places and path not in seen:
            place = _PLACES.get(path) or _PLACES.get(path.split(".")[0], "")
            label += f" ({place})" if place else ""
        seen.add(path)
        out.append(label)
        at = match.end()
    out.append(md(problem[at:], start=at == 0))
    return "".join(out)


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
        # Backend messages are plain text that may quote a file or column name: shown literally.
        st.error(f"{prefix}{md(exc)}", icon=":material/error:")

