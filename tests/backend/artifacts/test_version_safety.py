"""Version safety: a pipeline written by a newer, incompatible Torchwork is refused with the version it needs,
before unpickling; one that fails to unpickle here says which library versions differ."""

from __future__ import annotations

import pickle
import sys
import types

import pytest

from backend.artifacts import (
    ARTIFACT_FORMAT,
    ArtifactLoadError,
    ArtifactVersionError,
    artifact_record,
    load_pipeline,
    save_artifact,
    signing_key,
)
from backend.artifacts.signing import record_signature, tag_of


class CreatesFile:
    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def _sign_as(data: bytes, path, *, artifact_format: int, versions: dict) -> None:
    """Record ``data`` as a pipeline this installation signed, as a given Torchwork version would have."""
    path.write_bytes(data)
    record_signature(
        tag_of([data], signing_key()),
        path,
        len(data),
        kind="pipeline",
        artifact_format=artifact_format,
        versions=versions,
    )


def test_a_pipeline_from_a_newer_format_is_refused_with_the_version_it_needs(tmp_path):
    target = tmp_path / "created-by-pickle"
    path = tmp_path / "future.pkl"
    _sign_as(
        pickle.dumps(CreatesFile(target)),
        path,
        artifact_format=ARTIFACT_FORMAT + 1,
        versions={"torchwork": "9.1.0", "torch": "9.0"},
    )
    with pytest.raises(ArtifactVersionError) as refused:
        load_pipeline(path)
    message = str(refused.value)
    assert f"saved by Torchwork 9.1.0 in artifact format {ARTIFACT_FORMAT + 1}" in message
    assert f"opens formats up to {ARTIFACT_FORMAT}" in message
    assert "pip install 'torchwork>=9.1.0'" in message and "It was not opened" in message
    assert refused.value.needs == "9.1.0" and refused.value.reason == "newer_format"
    assert isinstance(refused.value, ValueError)  # shown as a user error, not a traceback
    assert not target.exists()  # checked before unpickling


def test_a_pipeline_from_the_current_or_an_older_format_opens(tmp_path):
    for artifact_format in (1, ARTIFACT_FORMAT):
        path = tmp_path / f"format-{artifact_format}.pkl"
        _sign_as(pickle.dumps({"f": artifact_format}), path, artifact_format=artifact_format, versions={})
        assert load_pipeline(path) == {"f": artifact_format}


def test_a_signed_pipeline_that_cannot_be_unpickled_here_names_the_versions_that_differ(
    tmp_path, monkeypatch
):
    module = types.ModuleType("torchwork_vanished_module")

    class Model:
        pass

    Model.__module__, Model.__qualname__ = module.__name__, "Model"
    module.Model = Model
    monkeypatch.setitem(sys.modules, module.__name__, module)
    path = tmp_path / "model.pkl"
    save_artifact(Model(), path)
    monkeypatch.delitem(sys.modules, module.__name__)  # as if the class had moved in another version
    record = artifact_record(path)
    _sign_as(
        path.read_bytes(), path, artifact_format=1, versions={**record["versions"], "scikit-learn": "0.1.0"}
    )

    with pytest.raises(ArtifactLoadError) as failed:
        load_pipeline(path)
    message = str(failed.value)
    assert "saved by this installation but could not be opened here (ModuleNotFoundError" in message
    assert "scikit-learn 0.1.0 (here " in message and "pip install 'scikit-learn==0.1.0'" in message
    assert failed.value.reason == "load_failed" and isinstance(failed.value, ValueError)
