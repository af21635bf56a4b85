"""Model page: the network, its training and its evaluation, edited as the spec's own fields."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.spec import SECTIONS, ExperimentSpec, field_specs
from backend.spec.sections import ARCHITECTURES_FOR
from dashboard import dataset, jobs, media_panels, search_form, state
from dashboard.widgets import (
    chosen_value,
    code,
    fields_for,
    forget_widgets,
    md,
    readable,
    spec_section,
    user_errors,
)

PREPROCESSING = ["numeric_impute", "numeric_scaler", "categorical_impute", "max_categories", "scale_target"]


def _controls(task: str) -> None:
    classification_only = "" if task == "classification" else "(Only for classification.)"
    architecture, train, evaluate = st.columns(3, gap="large")
    with architecture:
        st.subheader("Architecture")
        modality = state.spec_dict()["data"]["modality"]
        names = fields_for("model", modality, chosen_value("model", "architecture"))
        spec_section("model", names, choices={"architecture": ARCHITECTURES_FOR[modality]})
        if modality != "table":
            media_panels.input_settings(modality)
        if modality == "table" or task == "regression":
            with st.expander("Preprocessing" if modality == "table" else "Target", expanded=False):
                spec_section(
                    "data",
                    [n for n in PREPROCESSING if n in fields_for("data", modality, "")],
                    disabled={"scale_target": "(Only for regression.)" if task == "classification" else ""},
                )
    with train:
        st.subheader("Training")
        no_stopping = "" if chosen_value("training", "early_stopping") else "(Turn early stopping on to use it.)"
        spec_section(
            "training",
            disabled={"patience": no_stopping, "restore_best": no_stopping, "class_weight": classification_only},
        )
    with evaluate:
        st.subheader("Evaluation")
        holdout = chosen_value("evaluation", "mode") == "holdout"
        spec_section(
            "evaluation",
            disabled={
                "folds": "(Cross-validation only.)" if holdout else "",
                "stratified": classification_only,
                "holdout_fraction": "" if holdout else "(Holdout only.)",
            },
        )
        if st.button("Reset all settings to defaults", icon=":material/restart_alt:"):
            _reset()


def _reset() -> None:
    data = state.spec_dict()["data"]
    state.replace_spec(ExperimentSpec().to_dict())
    state.update_spec("data", {k: data[k] for k in ("target", "task", "exclude", "modality", "input_column")})
    state.update_spec("model", {"architecture": ARCHITECTURES_FOR[data["modality"]][0]})
    state.update_spec("evaluation", {"stratified": data["task"] == "classification"})
    for section, cls in SECTIONS.items():
        forget_widgets(section, [fs.name for fs in field_specs(cls)])
    st.rerun()


def _pipeline(description: dict) -> None:
    st.subheader("The pipeline that will be built")
    groups = pd.DataFrame(
        [
            {
                "group": g["group"],
                "columns": len(g["columns"]),
                "steps": " → ".join(g["steps"]),
                "features out": g["n_features"],
                "names": ", ".join(g["columns"]),
            }
            for g in description["columns"]
        ]
    )
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**1. Preprocessing** (learned on each training split)")
        st.dataframe(groups, hide_index=True, width="stretch")
        dropped = description.get("dropped") or {}
        if dropped:
            st.caption("Left out: " + ", ".join(f"{code(name)} ({md(why, start=False)})" for name, why in dropped.items()))
    with right:
        network = description["network"]
        st.markdown(
            f"**2. Network**: {description['n_features']} inputs → {description['n_outputs']} outputs, "
            f"**{network['n_params']:,} parameters**"
        )
        layers = pd.DataFrame(
            [
                {
                    "layer": layer["name"],
                    "type": layer["type"],
                    "output shape": _shape(layer["output_shape"]),
                    "parameters": layer["n_params"],
                }
                for layer in network["layers"]
            ]
        )
        st.dataframe(layers, hide_index=True, width="stretch")


def _shape(shape: list | None) -> str:
    """A layer's output shape as people write it: ``batch × 64`` (``batch × 16 × 14 × 14`` for images)."""
    return " × ".join("batch" if d is None else str(d) for d in shape or [])


st.title("Model")
with user_errors():
    ds, frame = dataset.active()
    st.caption(f"Dataset **{md(ds.label, start=False)}** · target {code(state.spec_dict()['data']['target'])}")
    task = state.spec_dict()["data"]["task"]
    _controls(task)
    st.divider()
    search_form.search_section(ds, frame, task)
    st.divider()
    spec = state.current_spec()
    problems, description = jobs.training_problems(ds, frame, spec)
    for warning in spec.warnings():
        st.warning(readable(warning), icon=":material/warning:")
    if problems:
        st.error(
            "This combination cannot train yet:\n\n" + "\n".join(f"- {p}" for p in problems),
            icon=":material/error:",
        )
    else:
        st.success("These settings are valid for this dataset. Next: the **Train** page.", icon=":material/check:")
        _pipeline(description)
