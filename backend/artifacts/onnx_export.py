"""ONNX export of a fitted pipeline's network (tabular, image and text models), and the parity check that
compares what onnxruntime computes with what the PyTorch pipeline predicts on the same rows.

The ONNX graph holds the network only, with its output head: class probabilities (and logits) for a
classifier, predictions in the target's own units for a regressor (a standardised target is scaled back
inside the graph). Preprocessing stays in scikit-learn: feed the graph ``pipeline[:-1].transform(rows)``,
the float32 feature matrix of a table, the float32 ``(N, C, H, W)`` images of an image model, or the
int64 token ids of a text model. Needs the ``onnx`` extra: ``pip install 'torchwork[onnx]'``.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from backend.artifacts.onnx_adapters import exportable
from backend.artifacts.pickles import write_signed
from backend.artifacts.versions import torchwork_version
from backend.jsonable import plain

#: Rows traced to build the graph; its batch dimension stays free.
EXPORT_ROWS = 8
#: Default tolerances of the parity check (float32 arithmetic in two runtimes).
ATOL = 1e-5
RTOL = 1e-4

_EXTRA = "pip install 'torchwork[onnx]'"


class OnnxExportError(ValueError):
    """A pipeline whose network cannot be exported to ONNX (or the onnx extra is missing); says why."""


def onnx_available() -> bool:
    """Whether the ``onnx`` extra (onnx, onnxscript, onnxruntime) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxscript", "onnxruntime"))


def to_onnx(model: Any, rows: Any) -> bytes:
    """The fitted network of ``model`` as a serialised ONNX model.

    Parameters
    ----------
    model : Pipeline or NeuralNet
        A fitted pipeline (preprocessing steps, then the net, possibly in a TransformedTargetRegressor)
        or a fitted net alone.
    rows : DataFrame, array or sequence
        A few rows the pipeline accepts (raw rows for a pipeline, features for a net): they fix the
        shape of one example; the batch size stays free.

    Raises
    ------
    OnnxExportError
        When the onnx extra is missing or the network uses an operation ONNX cannot express.
    """
    _require_extra()
    parts = _parts(model)
    sample = _features(parts, _head_rows(rows, EXPORT_ROWS))
    if sample.shape[0] < 2:
        # A batch of one would be specialised away; two rows keep the batch dimension symbolic.
        sample = torch.cat([sample, sample])
    head = _Head(parts)
    try:
        with _quiet_exporter():
            program = torch.onnx.export(
                head,
                (sample,),
                dynamo=True,
                verbose=False,
                optimize=True,
                input_names=["input"],
                output_names=head.output_names,
                dynamic_shapes=({0: torch.export.Dim("batch")},),
            )
        proto = program.model_proto
    except Exception as exc:
        raise OnnxExportError(
            f"The {type(parts.net.module_).__name__} network could not be exported to ONNX "
            f"({type(exc).__name__}: {_first_line(exc)}). The pipeline itself is unaffected; use the .pkl."
        ) from exc
    import onnx

    onnx.helper.set_model_props(proto, _metadata(parts, sample))
    proto.producer_name, proto.producer_version = "torchwork", torchwork_version()
    return proto.SerializeToString()


def onnx_parity(
    onnx_model: bytes, model: Any, rows: Any, *, atol: float = ATOL, rtol: float = RTOL
) -> dict[str, Any]:
    """Compare onnxruntime's outputs for ``rows`` with the PyTorch pipeline's own predictions.

    A classifier's probabilities are compared with ``predict_proba`` (and its most probable classes with
    ``predict``); a regressor's predictions with ``predict``, in the target's units.

    Returns
    -------
    dict
        ``n_rows``, ``compared`` (``"probabilities"`` or ``"predictions"``), ``max_abs_diff``,
        ``mean_abs_diff``, ``max_rel_diff``, ``atol``, ``rtol``, ``passed`` (every value within
        ``atol + rtol * |torch|``), ``label_agreement`` (classifiers: the fraction of rows whose predicted
        class is the same) and ``onnxruntime`` (its version).
    """
    _require_extra()
    import onnxruntime

    parts = _parts(model)
    features = _features(parts, rows).cpu().numpy()
    session = onnxruntime.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])
    outputs = dict(
        zip([o.name for o in session.get_outputs()], session.run(None, {"input": features}), strict=True)
    )
    report: dict[str, Any] = {"n_rows": int(features.shape[0])}
    if parts.classifier:
        reference = np.asarray(model.predict_proba(rows), dtype=np.float64)
        produced = np.asarray(outputs["probabilities"], dtype=np.float64)
        labels = np.asarray(parts.net.classes_)[produced.argmax(axis=1)]
        report["compared"] = "probabilities"
        report["label_agreement"] = float(np.mean(labels == np.asarray(model.predict(rows))))
    else:
        reference = np.asarray(model.predict(rows), dtype=np.float64)
        produced = np.asarray(outputs["prediction"], dtype=np.float64).reshape(reference.shape)
        report["compared"] = "predictions"
    diff = np.abs(produced - reference)
    report.update(
        max_abs_diff=float(diff.max()) if diff.size else 0.0,
        mean_abs_diff=float(diff.mean()) if diff.size else 0.0,
        max_rel_diff=float((diff / np.maximum(np.abs(reference), 1e-12)).max()) if diff.size else 0.0,
        atol=atol,
        rtol=rtol,
        passed=bool(np.allclose(produced, reference, atol=atol, rtol=rtol)),
        onnxruntime=onnxruntime.__version__,
    )
    return report


def export_onnx(
    model: Any,
    rows: Any,
    path: Path,
    *,
    parity_rows: Any = None,
    home: Path | None = None,
) -> dict[str, Any]:
    """Export ``model``'s network to ``path`` (signed, as an ``"onnx"`` artifact) and check its parity.

    Parameters
    ----------
    model : Pipeline or NeuralNet
        Fitted.
    rows : DataFrame, array or sequence
        Rows the pipeline accepts; the first few trace the graph.
    path : Path
        Where the ``.onnx`` file goes.
    parity_rows : optional
        Held-out rows to compare onnxruntime with PyTorch on; ``rows`` when None.
    home : Path, optional
        The installation that signs the file.

    Returns
    -------
    dict
        ``file``, ``bytes``, ``opset``, ``inputs`` and ``outputs`` (name, dtype, shape), ``note`` (what to
        feed the graph) and ``parity`` (see :func:`onnx_parity`).

    Raises
    ------
    OnnxExportError
        When the onnx extra is missing or the network cannot be exported; nothing is written then.
    """
    data = to_onnx(model, rows)
    path = Path(path)
    write_signed(data, path, "onnx", home)
    import onnx

    proto = onnx.load_from_string(data)
    return {
        "file": path.name,
        "bytes": len(data),
        "opset": max((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=None),
        "inputs": [_describe(v) for v in proto.graph.input],
        "outputs": [_describe(v) for v in proto.graph.output],
        "note": (
            "The graph holds the network only: feed it the preprocessed features, "
            "pipeline[:-1].transform(rows) (float32; int64 token ids for text models)."
        ),
        "parity": onnx_parity(data, model, rows if parity_rows is None else parity_rows),
    }


# -- the pieces of a pipeline ---------------------------------------------------------------------------


class _Parts:
    """A fitted model taken apart: preprocessing, the net, and the target scaling of a regressor."""

    def __init__(self, preprocess: Any, net: Any, target_scaler: Any):
        self.preprocess = preprocess
        self.net = net
        self.target_scaler = target_scaler
        self.classifier = hasattr(net, "classes_")


def _parts(model: Any) -> _Parts:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils.validation import check_is_fitted

    preprocess, last = None, model
    if isinstance(model, Pipeline):
        preprocess = model[:-1] if len(model.steps) > 1 else None
        last = model.steps[-1][1]
    scaler = None
    if isinstance(last, TransformedTargetRegressor):
        check_is_fitted(last)
        scaler, last = last.transformer_, last.regressor_
        if not isinstance(scaler, StandardScaler):
            raise OnnxExportError(
                f"The target is transformed by {type(scaler).__name__}, which the ONNX export cannot put in "
                "the graph; only a standardised target (StandardScaler) is supported."
            )
    if not hasattr(last, "module_"):
        raise OnnxExportError(
            f"ONNX export needs a fitted Torchwork net or a pipeline ending in one, got {type(last).__name__}."
        )
    check_is_fitted(last)
    return _Parts(preprocess, last, scaler)


def _features(parts: _Parts, rows: Any) -> torch.Tensor:
    """What the network reads for ``rows``: the preprocessed batch as one CPU tensor."""
    from backend.net.inputs import to_input_tensor

    X = parts.preprocess.transform(rows) if parts.preprocess is not None else rows
    if isinstance(X, Dataset):
        items = [X[i] for i in range(len(X))]
        X = torch.stack([item[0] if isinstance(item, tuple | list) else item for item in items])
    if not isinstance(X, torch.Tensor):
        X = np.asarray(X)
    return to_input_tensor(X, parts.net.integer_input_, torch.device("cpu"))


def _head_rows(rows: Any, n: int) -> Any:
    return rows.iloc[:n] if hasattr(rows, "iloc") else rows[:n]


class _Head(nn.Module):
    """The network as exported: a classifier's logits and probabilities, or a regressor's predictions."""

    def __init__(self, parts: _Parts):
        super().__init__()
        self.module = exportable(copy.deepcopy(parts.net.module_).to("cpu").eval())
        self.classifier = parts.classifier
        self.log_probs = isinstance(getattr(parts.net, "criterion_", None), nn.NLLLoss)
        scaler = parts.target_scaler
        scale = getattr(scaler, "scale_", None) if scaler is not None else None
        mean = getattr(scaler, "mean_", None) if scaler is not None else None
        self.register_buffer("scale", torch.as_tensor(1.0 if scale is None else scale, dtype=torch.float32))
        self.register_buffer("shift", torch.as_tensor(0.0 if mean is None else mean, dtype=torch.float32))
        self.output_names = ["logits", "probabilities"] if self.classifier else ["prediction"]

    def forward(self, x: torch.Tensor) -> Any:
        out = self.module(x)
        if self.classifier:
            return out, (out.exp() if self.log_probs else torch.softmax(out.float(), dim=1))
        return out * self.scale + self.shift


def _metadata(parts: _Parts, sample: torch.Tensor) -> dict[str, str]:
    props = {
        "torchwork_version": torchwork_version(),
        "module": type(parts.net.module_).__name__,
        "task": "classification" if parts.classifier else "regression",
        "input": f"{sample.dtype} tensor of shape {['batch', *list(sample.shape[1:])]}: pipeline[:-1].transform(rows)",
    }
    if parts.classifier:
        props["classes"] = json.dumps([plain(c) for c in parts.net.classes_])
    names = getattr(parts.preprocess, "get_feature_names_out", None)
    if names is not None:
        with contextlib.suppress(Exception):  # image and text steps may have no feature names
            props["feature_names"] = json.dumps([str(n) for n in names()])
    return props


def _describe(value: Any) -> dict[str, Any]:
    import onnx

    tensor = value.type.tensor_type
    shape = [d.dim_param or d.dim_value for d in tensor.shape.dim]
    return {
        "name": value.name,
        "dtype": onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name,
        "shape": shape,
    }


def _require_extra() -> None:
    if not onnx_available():
        raise OnnxExportError(f"ONNX export needs the onnx extra, which is not installed: {_EXTRA}.")


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """Silence the exporter's chatter (deprecation notes, optional-package notices) while it runs."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript", "onnx_ir")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "no message"

