"""The Results page's artifacts: the model card rendered for people, the reproduction script with its data
snapshot, and the ONNX network with its parity against PyTorch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from backend.artifacts.card_markdown import card_markdown
from backend.runs.store import DATA_FILE
from dashboard import jobs, services


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
    signed = files.get("model_card_md")  # runs made before the Markdown was written get it rendered here
    st.download_button(
        "Model card (Markdown)",
        data=signed.read_bytes() if signed is not None else text.encode("utf-8"),
        file_name=f"{run['id']}_model_card.md",
        mime="text/markdown",
        icon=":material/article:",
        on_click="ignore",
        key="download.model_card_md",
    )


def reproduction(run: dict, files: dict[str, Path]) -> None:
    """The reproduction script and the data it reads, side by side, with the command to run: the data snapshot
    (Parquet) of a table or text run, the zip of the images and their table of an image run."""
    st.subheader("Reproduce and export")
    script = files.get("script")
    snapshot = files.get("data") or services.store().run_dir(run["id"]) / DATA_FILE  # runs made before "data"
    left, right = st.columns(2)
    if script is None:
        left.caption("Reproduction script: not available for this run.")
    else:
        _download(left, "Reproduction script (reproduce.py)", script, f"{run['id']}_reproduce.py",
                  "text/x-python", ":material/code:", "download.script")
    images = snapshot.suffix == ".zip"
    name = f"{run['id']}_{snapshot.name}"
    if snapshot.is_file():
        label, mime = ("Data (zip of the images)", "application/zip") if images else (
            "Data snapshot (Parquet)", "application/octet-stream")
        _download(right, label, snapshot, name, mime, ":material/dataset:", "download.data")
    if script is not None and snapshot.is_file():
        what = " (the images with a path,label CSV and the run's table; no need to unzip it)" if images else ""
        st.caption(
            f"Download both into one folder and run `python {run['id']}_reproduce.py {name}`{what}: it "
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
