"""The model card: a JSON-ready description of a fitted pipeline — what it was trained on, how, how well, on
what machine and libraries, what input it expects, and how to load it and predict."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backend.artifacts.versions import ARTIFACT_FORMAT, library_versions
from backend.jsonable import plain

if TYPE_CHECKING:
    from backend.evaluate import ExperimentResult
    from backend.spec import ExperimentSpec

#: Bumped when a key of the card changes meaning or disappears (new keys do not bump it).
CARD_VERSION = 1


def model_card(
    spec: ExperimentSpec,
    frame: pd.DataFrame,
    result: ExperimentResult,
    *,
    run_id: str = "",
    files: Mapping[str, Path] | None = None,
    onnx: Mapping[str, Any] | None = None,
    data_fingerprint: str | None = None,
) -> dict[str, Any]:
    """Describe the pipeline ``result.pipeline`` that ``spec`` trained on ``frame``.

    Parameters
    ----------
    spec : ExperimentSpec
    frame : DataFrame
        The whole dataset the run was given, target included (rows with a missing target too).
    result : ExperimentResult
        What :func:`backend.evaluate.run_experiment` returned.
    run_id : str, optional
    files : mapping, optional
        Kind (``"pipeline"``, ``"script"``, ``"onnx"``, ...) -> path of the files written beside the card;
        each is listed with its size and SHA-256, so the card names exactly the pickle it describes.
    onnx : mapping, optional
        The ONNX export's report (see :func:`backend.artifacts.export_onnx`).
    data_fingerprint : str, optional
        ``backend.data.fingerprint(frame)`` when the caller has it already (it reads every image of an
        image run).

    Returns
    -------
    dict
        Keys: ``card_version``, ``run_id``, ``created_at``, ``task``, ``target``, ``classes``, ``model``,
        ``spec``, ``seed``, ``data`` (fingerprint, SHA-256, rows, columns, schema), ``metrics`` (per fold,
        and mean, std, min and max over the folds), ``training`` (time, epochs), ``hardware``, ``versions``,
        ``artifact`` (format, files), ``input`` (the rows ``predict`` expects), ``output``, ``example`` (a
        script that loads the pipeline and predicts) and ``how_to_load`` (one line); ``onnx`` when given.
    """
    from backend.data import fingerprint, infer_schema
    from backend.pipeline import fitted_net

    net = fitted_net(result.pipeline)
    schema = infer_schema(frame)
    digest = data_fingerprint or fingerprint(frame)
    features = frame.drop(columns=[spec.data.target])
    card: dict[str, Any] = {
        "card_version": CARD_VERSION,
        "run_id": run_id,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "task": spec.data.task,
        "target": spec.data.target,
        "classes": [plain(c) for c in result.classes],
        "model": _model(net),
        "spec": spec.to_dict(),
        "seed": spec.training.seed,
        "data": {
            "fingerprint": f"sha256:{digest}",
            "sha256": digest,
            "fingerprint_method": "backend.data.fingerprint: SHA-256 of shape, column names, dtypes and values",
            "n_rows": int(frame.shape[0]),
            "n_columns": int(frame.shape[1]),
            "n_rows_used": int(frame.shape[0] - result.n_dropped),
            "n_dropped_missing_target": int(result.n_dropped),
            "columns": [
                {
                    "name": c.name,
                    "role": c.role,
                    "dtype": c.dtype,
                    "n_missing": c.n_missing,
                    "n_distinct": c.n_distinct,
                }
                for c in schema
            ],
        },
        "metrics": _metrics(spec, result),
        "training": {
            "duration_s": round(result.duration, 3),
            "final_fit_epochs": len(result.histories.get(-1, [])),
            "fold_epochs": [len(result.histories.get(f, [])) for f in sorted(result.histories) if f >= 0],
        },
        "hardware": hardware(net),
        "versions": library_versions(),
        "artifact": {
            "format": ARTIFACT_FORMAT,
            "signed": "HMAC-SHA256 with this installation's key; load_pipeline opens only signed pipelines",
            "files": _files(files or {}),
        },
        "input": _input(spec, schema, result.pipeline),
        "output": _output(spec, result),
        "example": example_code(features, pipeline_file=_name_of(files, "pipeline", "pipeline.pkl")),
        "how_to_load": (
            "import joblib; pipeline = joblib.load('pipeline.pkl'); pipeline.predict(rows) -- rows is a pandas "
            "DataFrame with the training columns (the target may be absent); needs the torchwork package. "
            "backend.artifacts.load_pipeline('pipeline.pkl') opens it only if this installation signed it."
        ),
    }
    if onnx is not None:
        card["onnx"] = dict(onnx)
    return card


def hardware(net: Any = None) -> dict[str, Any]:
    """The machine a pipeline was trained on: system, processor, cores, memory and the torch device."""
    import torch

    device = getattr(net, "device_", None)
    info: dict[str, Any] = {
        "system": platform.system(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device) if device is not None else "cpu",
    }
    if device is not None and device.type == "cuda" and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    return info


def example_code(features: pd.DataFrame, pipeline_file: str = "pipeline.pkl") -> str:
    """A short script that loads the pipeline and predicts one row (the first row of ``features``)."""
    row = features.head(1)
    cells = ",\n".join(f"        {str(name)!r}: [{_literal(row[name].iloc[0])}]" for name in row.columns)
    return (
        "import joblib\n"
        "import pandas as pd\n"
        "\n"
        "# Needs `pip install torchwork`. load_pipeline from backend.artifacts opens only files this\n"
        "# installation signed; joblib.load opens any pickle, so use it only on files you trust.\n"
        f"pipeline = joblib.load({pipeline_file!r})\n"
        "rows = pd.DataFrame(\n"
        "    {\n"
        f"{cells},\n"
        "    }\n"
        ")\n"
        "print(pipeline.predict(rows))\n"
    )


def _model(net: Any) -> dict[str, Any]:
    module = net.module_
    return {
        "estimator": type(net).__name__,
        "module": type(module).__name__,
        "n_parameters": int(sum(p.numel() for p in module.parameters())),
        "n_features_in": int(getattr(net, "n_features_in_", 0)) or None,
        "layers": str(module),
    }


def _metrics(spec: ExperimentSpec, result: ExperimentResult) -> dict[str, Any]:
    folds = result.fold_scores.to_dict(orient="records")
    summary: dict[str, dict[str, float]] = {}
    for metric, stats in result.summary.items():
        values = result.fold_scores[metric].dropna().to_numpy(dtype=np.float64)
        summary[metric] = {
            **{k: float(v) for k, v in stats.items()},
            "min": float(values.min()),
            "max": float(values.max()),
            "n_folds": int(len(values)),
        }
    return {
        "evaluation": spec.evaluation.mode,
        "n_folds": len(folds),
        "spread": "std is the population standard deviation (ddof=0) over the folds; min and max bound them",
        "summary": summary,
        "folds": [{k: plain(v) for k, v in fold.items()} for fold in folds],
        "omitted": dict(result.omitted),
    }


def _input(spec: ExperimentSpec, schema: list[Any], pipeline: Any) -> dict[str, Any]:
    from backend.preprocess import feature_columns

    modality = getattr(spec.data, "modality", "table")
    if modality != "table":
        return _media_input(spec, modality, pipeline)

    groups = feature_columns(spec, schema)
    used = {name: "numeric" for name in groups["numeric"]} | {
        name: "categorical" for name in groups["categorical"]
    }
    columns = []
    for column in schema:
        if column.name == spec.data.target:
            continue
        entry = {"name": column.name, "dtype": column.dtype, "used": column.name in used}
        if column.name in used:
            entry["as"] = used[column.name]
        else:
            entry["ignored_because"] = groups["dropped"].get(column.name, "not a feature")
        columns.append(entry)
    data = spec.data
    return {
        "type": "pandas.DataFrame, one row per example, columns by name",
        "columns": columns,
        "target": f"{data.target!r} may be absent; it is ignored when present",
        "extra_columns": "ignored",
        "missing_values": (
            f"numeric: filled with the training {data.numeric_impute}; categorical: filled with the training "
            f"{data.categorical_impute.replace('_', ' ')}"
        ),
        "unseen_categories": "encoded as none of the known categories (all zeros)",
        "numeric_scaling": data.numeric_scaler,
    }


def _media_input(spec: ExperimentSpec, modality: str, pipeline: Any) -> dict[str, Any]:
    """The input of an image or text model: one column of image files or texts."""
    column = getattr(spec.data, "input_column", "") or _pipeline_column(pipeline)
    reads = (
        "image files: paths (relative to where predict runs) or raw bytes, any size; resized as in training"
        if modality == "images"
        else "texts: strings, tokenised as in training; words never seen in training read as unknown"
    )
    return {
        "type": "pandas.DataFrame, one row per example, columns by name",
        "modality": modality,
        "column": column,
        "reads": reads,
        "target": f"{spec.data.target!r} may be absent; it is ignored when present",
        "extra_columns": "ignored",
    }


def _pipeline_column(pipeline: Any) -> str | None:
    """The column the pipeline's first step reads (ImageLoader, TextVectorizer), when it names one."""
    steps = getattr(pipeline, "steps", [])
    for _, step in steps[:-1]:
        column = getattr(step, "column", None)
        if column:
            return str(column)
    return None


def _output(spec: ExperimentSpec, result: ExperimentResult) -> dict[str, Any]:
    if spec.data.task == "classification":
        return {
            "predict": f"one of the classes of {spec.data.target!r}, as in the training data",
            "predict_proba": "one column per class, in the order of 'classes'; rows sum to 1",
        }
    return {"predict": f"a number in the units of {spec.data.target!r} (float64)"}


def _files(files: Mapping[str, Path]) -> dict[str, dict[str, Any]]:
    listed = {}
    for kind, path in files.items():
        path = Path(path)
        if path.is_file():
            listed[kind] = {"name": path.name, "bytes": path.stat().st_size, "sha256": _sha256(path)}
    return listed


def _name_of(files: Mapping[str, Path] | None, kind: str, default: str) -> str:
    path = (files or {}).get(kind)
    return Path(path).name if path is not None else default


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _literal(value: Any) -> str:
    """Python source for one cell of the example row."""
    value = plain(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return "None"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, bool | int | float | str):
        return repr(value)
    return repr(str(value))

