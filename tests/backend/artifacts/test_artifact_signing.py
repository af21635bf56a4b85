"""Signed artifacts: what this installation saved opens; anything else is refused before unpickling."""

from __future__ import annotations

import io
import os
import pickle
import re
import stat

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from backend.artifacts import ArtifactRejected, load_pipeline, save_artifact, verify_artifact

REFUSAL = re.escape(
    "This file was not produced by this Torchwork installation (its signature is unknown), so it was not opened."
)


class CreatesFile:
    """A pickle that, when opened, creates a file: what a malicious upload would do instead."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("TORCHWORK_HOME", str(home))
    return home


@pytest.fixture
def fitted():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, ["a", "b", "a", "b"]), X


@pytest.fixture
def saved(home, fitted, tmp_path):
    path = tmp_path / "out" / "pipeline.pkl"
    tag = save_artifact(fitted[0], path)
    return path, tag


def test_a_saved_artifact_loads_and_predicts(saved, fitted):
    path, tag = saved
    model, X = fitted
    assert len(tag) == 64 and int(tag, 16) >= 0
    for source in (path, str(path), path.read_bytes(), io.BytesIO(path.read_bytes())):
        assert load_pipeline(source).predict(X).tolist() == model.predict(X).tolist()


def test_the_artifact_is_a_plain_joblib_pickle(saved, fitted):
    path, _ = saved
    assert joblib.load(path).predict(fitted[1]).tolist() == ["a", "b", "a", "b"]
    assert [p.name for p in path.parent.iterdir()] == ["pipeline.pkl"]  # no temporary file left


def test_verify_accepts_exactly_the_saved_bytes(saved):
    path, _ = saved
    data = path.read_bytes()
    assert verify_artifact(data)
    assert not verify_artifact(data + b"\x00")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:100] + bytes([data[100] ^ 0xFF]) + data[101:], id="one-byte-changed"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_a_damaged_artifact_is_refused(saved, damage, tmp_path):
    path, _ = saved
    damaged = tmp_path / "damaged.pkl"
    damaged.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ArtifactRejected, match=REFUSAL):
        load_pipeline(damaged)


def test_a_foreign_pickle_is_refused(home, fitted, tmp_path):
    foreign = tmp_path / "foreign.pkl"
    joblib.dump(fitted[0], foreign)
    with pytest.raises(ArtifactRejected, match=REFUSAL) as refused:
        load_pipeline(foreign)
    assert isinstance(refused.value, ValueError)


def test_an_artifact_signed_by_another_installation_is_refused(fitted, tmp_path):
    path = tmp_path / "elsewhere.pkl"
    save_artifact(fitted[0], path, home=tmp_path / "other-home")
    assert load_pipeline(path, home=tmp_path / "other-home") is not None
    with pytest.raises(ArtifactRejected):
        load_pipeline(path, home=tmp_path / "this-home")


def test_a_malicious_pickle_is_refused_without_running_it(home, tmp_path):
    target = tmp_path / "created-by-pickle"
    payload = pickle.dumps(CreatesFile(target))
    pickle.loads(payload).close()  # the payload does create the file when unpickled ...
    target.unlink()
    with pytest.raises(ArtifactRejected):
        load_pipeline(payload)
    assert not target.exists()  # ... and load_pipeline did not unpickle it


def test_the_signing_key_is_private(saved, home):
    key = home / "signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_bytes()) == 32


def test_the_signing_key_is_kept_across_saves(home, fitted, tmp_path):
    first = tmp_path / "first.pkl"
    save_artifact(fitted[0], first)
    key = (home / "signing.key").read_bytes()
    save_artifact({"other": 1}, tmp_path / "second.pkl")
    assert (home / "signing.key").read_bytes() == key
    assert load_pipeline(first) is not None and load_pipeline(tmp_path / "second.pkl") == {"other": 1}


def test_saving_over_an_existing_file_replaces_it(home, tmp_path):
    path = tmp_path / "model.pkl"
    save_artifact({"version": 1}, path)
    save_artifact({"version": 2}, path)
    assert load_pipeline(path) == {"version": 2}
    assert sorted(os.listdir(tmp_path)) == ["home", "model.pkl"]
