"""Artifacts: signed joblib pipelines opened only when the signature is ours, model cards, code export, ONNX.

    save_artifact(pipeline, path)          # a plain joblib pickle, signed by this installation
    load_pipeline(path_or_bytes)           # verified (signature, kind, format) before anything is unpickled
    model_card(spec, frame, result)        # what the pipeline is, how it scored, how to use it (JSON-ready)
    card_markdown(card)                    # the same card as Markdown
    export_script(spec, ...)               # a Python script that reproduces the run's CV scores
    write_image_zip / read_image_data      # an image run's data as a zip that works on any machine
    export_onnx(pipeline, rows, path)      # the fitted network as ONNX, with its parity against PyTorch
    write_run_artifacts(spec, frame, result, folder)   # all of the above, signed, into a run's folder

The model card, code export and ONNX export import torch (and onnx) on first use only, so opening a
pipeline from the dashboard does not pay for them.
"""

from importlib import import_module

from backend.artifacts.errors import ArtifactError, ArtifactLoadError, ArtifactRejected, ArtifactVersionError
from backend.artifacts.pickles import (
    KINDS,
    artifact_record,
    load_pipeline,
    save_artifact,
    verify_artifact,
    write_signed,
)
from backend.artifacts.signing import signing_key
from backend.artifacts.versions import ARTIFACT_FORMAT, library_versions

_LAZY = {
    "model_card": "backend.artifacts.model_card",
    "export_script": "backend.artifacts.code_export",
    "export_onnx": "backend.artifacts.onnx_export",
    "onnx_parity": "backend.artifacts.onnx_export",
    "to_onnx": "backend.artifacts.onnx_export",
    "onnx_available": "backend.artifacts.onnx_export",
    "OnnxExportError": "backend.artifacts.onnx_export",
    "CodeExportError": "backend.artifacts.code_export",
    "write_run_artifacts": "backend.artifacts.run_files",
    "write_image_zip": "backend.artifacts.data_export",
    "read_image_data": "backend.artifacts.data_export",
    "card_markdown": "backend.artifacts.card_markdown",
}

__all__ = [
    "ARTIFACT_FORMAT",
    "KINDS",
    "ArtifactError",
    "ArtifactLoadError",
    "ArtifactRejected",
    "ArtifactVersionError",
    "artifact_record",
    "library_versions",
    "load_pipeline",
    "save_artifact",
    "signing_key",
    "verify_artifact",
    "write_signed",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backend.artifacts' has no attribute {name!r}")
