"""The Results page's artifacts: the model card rendered for people, the reproduction script with its data
snapshot, and the ONNX network with its parity against PyTorch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from backend.evaluate.metrics import METRICS
from backend.runs.store import DATA_FILE
from dashboard import jobs, services


def _number(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "–" if value is None else str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def card_markdown(card: dict[str, Any]) -> str:
    """A model card (as :func:`backend.artifacts.model_card` writes it) as Markdown people can read."""
    model, data, metrics = card.get("model", {}), card.get("data", {}), card.get("metrics", {})
    training, hardware, versions = card.get("training", {}), card.get("hardware", {}), card.get("versions", {})
    parts = [f"### {card.get('task', '').capitalize()} of `{card.get('target')}`"]
    facts = [
        f"**Run** `{card.get('run_id', '')}`, created {card.get('created_at', '')}",
        f"**Model**: {model.get('estimator')} with a {model.get('module')} of "
        f"{model.get('n_parameters', 0):,} parameters on {model.get('n_features_in')} input features",
        f"**Random seed**: {card.get('seed')}",
    ]
    if card.get("classes"):
        facts.append("**Classes**: " + ", ".join(f"`{c}`" for c in card["classes"]))
    search = card.get("search")
    if search:
        best = ", ".join(f"{k} = {v}" for k, v in (search.get("best_params") or {}).items())
        facts.append(
            f"**Search**: {search.get('mode')} over {search.get('n_candidates')} candidates "
            f"({search.get('n_fits')} fits); best: {best}"
        )
    parts.append("\n".join(f"- {f}" for f in facts))

    summary = metrics.get("summary", {})
    if summary:
        parts.append(f"#### Scores ({metrics.get('evaluation')}, {metrics.get('n_folds')} split(s))")
        rows = [
            [METRICS.get(m, (m,))[0], _number(s.get("mean")), _number(s.get("std")), _number(s.get("min")),
             _number(s.get("max"))]
            for m, s in summary.items()
        ]
        parts.append(_table(["metric", "mean", "std", "min", "max"], rows))
        if metrics.get("spread"):
            parts.append(f"_{metrics['spread']}._")

    parts.append("#### Data")
    parts.append(
        f"{data.get('n_rows')} rows × {data.get('n_columns')} columns "
        f"({data.get('n_rows_used')} used; {data.get('n_dropped_missing_target', 0)} without a target). "
        f"Fingerprint `{data.get('sha256', data.get('fingerprint', ''))}`."
    )
    columns = data.get("columns") or []
    if columns:
        parts.append(
            _table(
                ["column", "role", "type", "missing", "distinct"],
                [[f"`{c['name']}`", c["role"], c["dtype"], c["n_missing"], c["n_distinct"]] for c in columns],
            )
        )

    inputs = card.get("input") or {}
    if inputs:
        parts.append("#### Input it expects")
        parts.append(str(inputs.get("type", "")))
        used = [c for c in inputs.get("columns", []) if c.get("used")]
        if used:
            parts.append("Reads: " + ", ".join(f"`{c['name']}` ({c.get('as', '')})" for c in used) + ".")
        ignored = [c for c in inputs.get("columns", []) if not c.get("used")]
        if ignored:
            parts.append("Ignores: " + ", ".join(f"`{c['name']}` ({c.get('ignored_because')})" for c in ignored) + ".")
        for key in ("target", "extra_columns", "missing_values", "unseen_categories"):
            if inputs.get(key):
                parts.append(f"- {key.replace('_', ' ')}: {inputs[key]}")
    output = card.get("output") or {}
    if output:
        parts.append("#### Output")
        parts.append("\n".join(f"- `{name}`: {what}" for name, what in output.items()))

    parts.append("#### Training")
    parts.append(
        f"- {training.get('duration_s')} s in all; the final fit trained {training.get('final_fit_epochs')} epochs"
        f"\n- Hardware: {hardware.get('platform', hardware.get('system'))}, {hardware.get('cpu_count')} cores, "
        f"{hardware.get('memory_gb')} GB, device `{hardware.get('device')}`"
        + (f", GPU {hardware['gpu']}" if hardware.get("gpu") else "")
        + "\n- Versions: "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
    )
    if card.get("example"):
        parts.append("#### How to use it")
        parts.append(f"```python\n{card['example']}```")
    if card.get("how_to_load"):
        parts.append(f"_{card['how_to_load']}_")
    return "\n\n".join(parts)


def _download(cell: Any, label: str, path: Path, name: str, mime: str, icon: str, key: str) -> None:
    cell.download_button(
        label, data=path.read_bytes(), file_name=name, mime=mime, icon=icon, on_click="ignore", key=key
    )


def model_card(run: dict, files: dict[str, Path]) -> None:
    """The run's model card, rendered, with the card as Markdown to download."""
    path = files.get("model_card")
    if path is None:
        return
    card = json.loads(path.read_text(encoding="utf-8"))
    text = card_markdown(card)
    st.subheader("Model card")
    with st.expander("What this model is, how it scored, how to use it", expanded=False):
        st.markdown(text)
    st.download_button(
        "Model card (Markdown)",
        data=text.encode("utf-8"),
        file_name=f"{run['id']}_model_card.md",
        mime="text/markdown",
        icon=":material/article:",
        on_click="ignore",
        key="download.model_card_md",
    )


def reproduction(run: dict, files: dict[str, Path]) -> None:
    """The reproduction script and the data snapshot it reads, side by side, with the command to run."""
    st.subheader("Reproduce and export")
    script, snapshot = files.get("script"), services.store().run_dir(run["id"]) / DATA_FILE
    left, right = st.columns(2)
    if script is None:
        left.caption("Reproduction script: not available for this run.")
    else:
        _download(left, "Reproduction script (reproduce.py)", script, f"{run['id']}_reproduce.py",
                  "text/x-python", ":material/code:", "download.script")
    if snapshot.is_file():
        _download(right, "Data snapshot (Parquet)", snapshot, f"{run['id']}_{DATA_FILE}",
                  "application/octet-stream", ":material/dataset:", "download.data")
    if script is not None and snapshot.is_file():
        st.caption(
            f"Download both into one folder and run `python {run['id']}_reproduce.py {run['id']}_{DATA_FILE}`: it "
            "rebuilds the pipeline from the spec with the same seed and folds and prints the scores beside the "
            "run's (needs `pip install torchwork`)."
        )


def onnx(run: dict, files: dict[str, Path]) -> None:
    """The ONNX network's download and its parity with the PyTorch model on held-out rows, or why there is none."""
    report = services.store().get_result(run["id"], "onnx") or {}
    path = files.get("onnx")
    st.markdown("**ONNX network**")
    if not report.get("exported") or path is None:
        st.caption(f"No ONNX export: {report.get('reason', 'this run has none')}.")
        return
    parity = report.get("parity") or {}
    _download(st, "ONNX network (model.onnx)", path, f"{run['id']}_model.onnx", "application/octet-stream",
              ":material/hub:", "download.onnx")
    if parity:
        cells = st.columns(4)
        cells[0].metric("Parity", "passed" if parity.get("passed") else "FAILED",
                        help=f"Within atol {parity.get('atol')} and rtol {parity.get('rtol')} of PyTorch's output.")
        cells[1].metric("Rows compared", parity.get("n_rows"), help="Held-out rows the network never trained on.")
        cells[2].metric("Max abs. difference", f"{parity.get('max_abs_diff', float('nan')):.2e}",
                        help=f"Largest difference in {parity.get('compared')} between ONNX Runtime and PyTorch.")
        if parity.get("label_agreement") is not None:
            cells[3].metric("Same predicted class", f"{100 * parity['label_agreement']:.1f} %")
        else:
            cells[3].metric("Mean abs. difference", f"{parity.get('mean_abs_diff', float('nan')):.2e}")
        if not parity.get("passed"):
            st.warning("ONNX Runtime's output differs from PyTorch's beyond the tolerance.", icon=":material/warning:")
    st.caption(
        f"{report.get('note', '')} Opset {report.get('opset')}; compared with onnxruntime "
        f"{parity.get('onnxruntime', '')}."
    )


def render(run: dict) -> None:
    """Everything a finished run hands out beyond the pipeline: card, script with data, ONNX."""
    files = jobs.files(run)
    model_card(run, files)
    reproduction(run, files)
    onnx(run, files)
