"""The files a finished run hands out, written and signed into its folder: the pipeline, the data the
reproduction script reads (the run's Parquet snapshot, or for images a zip of the images and their table),
the script, the ONNX network (when the onnx extra is installed) and the model card that lists them all, as
JSON and as Markdown."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from backend.artifacts.pickles import save_artifact, sign_file, write_signed
from backend.jsonable import plain

if TYPE_CHECKING:
    from backend.evaluate import ExperimentResult
    from backend.spec import ExperimentSpec

logger = logging.getLogger(__name__)

PIPELINE_FILE = "pipeline.pkl"
MODEL_CARD_FILE = "model_card.json"
MODEL_CARD_MD_FILE = "model_card.md"
SCRIPT_FILE = "reproduce.py"
ONNX_FILE = "model.onnx"

#: Held-out rows the ONNX parity check compares on, at most.
PARITY_ROWS = 256


def write_run_artifacts(
    spec: ExperimentSpec,
    frame: pd.DataFrame,
    result: ExperimentResult,
    folder: Path,
    *,
    run_id: str = "",
    home: Path | None = None,
    data_file: str = "data.parquet",
    card_extras: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write and sign the run's pipeline, data, script, ONNX network and model card into ``folder``.

    The pipeline always; the data snapshot ``data_file`` already in ``folder`` is signed as it is, and an
    image run whose table holds image paths also gets ``data.zip`` (the images, a ``path,label`` CSV and
    the table with relative paths), which its script reads, so that the script and its data work on any
    machine; the script unless the spec's evaluation cannot be scripted; the ONNX file when the onnx
    extra is installed and the network exports; the model card as JSON and as Markdown. What could not be
    written is reported, never raised: the pipeline is the run's product, the rest are views of it.

    Parameters
    ----------
    spec, frame, result
        The run's spec, its whole dataset and what :func:`backend.evaluate.run_experiment` returned.
    folder : Path
        The run's folder.
    run_id : str, optional
    home : Path, optional
        The installation that signs the files.
    data_file : str
        The run's data snapshot in ``folder``, which the script of a table or text run reads by default.
    card_extras : mapping, optional
        More top-level entries for the model card (a search's outline).

    Returns
    -------
    dict
        ``files``: kind (``"pipeline"``, ``"data"``, ``"script"``, ``"onnx"``, ``"model_card"``,
        ``"model_card_md"``) -> file name, for the files written; ``data``: ``{"file", "standalone"}`` (the
        data file's name, and whether it works away from this installation) and ``reason`` when an image
        zip could not be written; ``script``: ``{"exported": bool, "reason"?}``; ``onnx``: the export's report
        (``file``, ``opset``, ``inputs``, ``outputs``, ``parity``, ...) with ``exported`` True, or
        ``{"exported": False, "reason": ...}``.
    """
    from backend.artifacts.card_markdown import card_markdown
    from backend.artifacts.code_export import CodeExportError, export_script
    from backend.artifacts.model_card import model_card
    from backend.data import fingerprint

    folder = Path(folder)
    written: dict[str, Path] = {"pipeline": folder / PIPELINE_FILE}
    save_artifact(result.pipeline, written["pipeline"], home=home)

    data, image_column = _write_data(spec, frame, folder, data_file, home)
    digest = fingerprint(frame)  # read once: for an image run, it reads every image
    if "file" in data:
        written["data"] = folder / data["file"]

    script: dict[str, Any] = {"exported": True}
    try:
        source = export_script(
            spec,
            data_file=data.get("file", data_file),
            image_column=image_column,
            data_fingerprint=digest,
            scores=result.summary,
            run_id=run_id,
            script_name=SCRIPT_FILE,
        )
    except CodeExportError as exc:
        script = {"exported": False, "reason": str(exc)}
    else:
        written["script"] = folder / SCRIPT_FILE
        write_signed(source, written["script"], "script", home)

    onnx = _export_onnx(spec, frame, result, folder / ONNX_FILE, home)
    if onnx["exported"]:
        written["onnx"] = folder / ONNX_FILE

    card = model_card(spec, frame, result, run_id=run_id, files=written, onnx=onnx, data_fingerprint=digest)
    card["artifact"]["script"] = script
    card.update(card_extras or {})
    text = json.dumps(card, indent=2, default=plain)
    written["model_card"] = folder / MODEL_CARD_FILE
    write_signed(text, written["model_card"], "model_card", home)
    written["model_card_md"] = folder / MODEL_CARD_MD_FILE
    write_signed(card_markdown(json.loads(text)), written["model_card_md"], "model_card_md", home)
    return {
        "files": {kind: path.name for kind, path in written.items()},
        "data": data,
        "script": script,
        "onnx": onnx,
    }


def _write_data(
    spec: ExperimentSpec, frame: pd.DataFrame, folder: Path, data_file: str, home: Path | None
) -> tuple[dict[str, Any], str | None]:
    """Sign the run's snapshot; for an image run, write and sign the zip of its images. Returns what the
    script reads (``{"file", "standalone"}``, ``reason`` when the zip failed) and the column of image paths."""
    from backend.artifacts.data_export import (
        DATA_ZIP_FILE,
        DataExportError,
        image_path_column,
        write_image_zip,
    )

    snapshot = folder / data_file
    data: dict[str, Any] = {}
    if snapshot.is_file():
        sign_file(snapshot, "data", home)
        data = {"file": data_file, "standalone": True}
    column = image_path_column(spec, frame)
    if column is None:
        return data, None
    try:
        write_signed(
            lambda out: write_image_zip(frame, column, spec.data.target, out), folder / DATA_ZIP_FILE, "data", home
        )
    except (DataExportError, OSError) as exc:
        logger.warning("the data zip of the images was not written: %s", exc)
        reason = f"the images could not be gathered into a zip ({exc}); the snapshot names them by path"
        return {**data, "standalone": False, "reason": reason}, None
    return {"file": DATA_ZIP_FILE, "standalone": True}, column


def _export_onnx(
    spec: ExperimentSpec, frame: pd.DataFrame, result: ExperimentResult, path: Path, home: Path | None
) -> dict[str, Any]:
    from backend.artifacts.onnx_export import OnnxExportError, export_onnx, onnx_available

    if not onnx_available():
        return {"exported": False, "reason": "the onnx extra is not installed: pip install 'torchwork[onnx]'"}
    features = frame.loc[frame[spec.data.target].notna()].drop(columns=[spec.data.target])
    try:
        report = export_onnx(
            result.pipeline, features, path, parity_rows=_held_out(result, features), home=home
        )
    except OnnxExportError as exc:
        return {"exported": False, "reason": str(exc)}
    except Exception as exc:  # the export is a by-product: a failure there must not fail a trained run
        logger.warning("ONNX export failed", exc_info=True)
        return {"exported": False, "reason": f"{type(exc).__name__}: {exc}"}
    return {"exported": True, **report}


def _held_out(result: ExperimentResult, features: pd.DataFrame) -> pd.DataFrame:
    """The last fold's held-out rows (at most :data:`PARITY_ROWS`): rows its model never trained on."""
    oof = result.oof
    if oof.empty or "row" not in oof:
        return features.head(PARITY_ROWS)
    rows = oof.loc[oof["fold"] == oof["fold"].max(), "row"]
    rows = [r for r in rows if r in features.index][:PARITY_ROWS]
    return features.loc[rows] if rows else features.head(PARITY_ROWS)
