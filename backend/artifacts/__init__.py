"""Artifacts: fitted pipelines saved as signed joblib pickles, opened only when the signature is ours."""

from backend.artifacts.pickles import ArtifactRejected, load_pipeline, save_artifact, verify_artifact
from backend.artifacts.signing import signing_key

__all__ = ["ArtifactRejected", "load_pipeline", "save_artifact", "signing_key", "verify_artifact"]
