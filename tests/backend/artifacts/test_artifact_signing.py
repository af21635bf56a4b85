"""Signed artifacts: what this installation saved opens; anything else is refused, with the reason, before
a single byte of it is unpickled."""

from __future__ import annotations

import io
import os
import pickle
import sqlite3
import stat

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from backend.artifacts import (
    ArtifactRejected,
    artifact_record,
    load_pipeline,
    save_artifact,
    signing_key,
    verify_artifact,
    write_signed,
)

NOT_OURS = "was not produced by this Torchwork installation"
REMEDY = "Upload the .pkl downloaded from this installation's Results page, or train the model again here."


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


def _refusal(source, **kwargs) -> ArtifactRejected:
    with pytest.raises(ArtifactRejected) as refused:
        load_pipeline(source, **kwargs)
    message = str(refused.value)
    assert REMEDY in message  # every refusal says what to do
    return refused.value


def test_a_saved_artifact_loads_and_predicts_from_a_path_bytes_or_a_file(saved, fitted):
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
    assert not verify_artifact(data[:-1])


def test_the_signature_record_keeps_kind_format_and_versions(saved):
    path, tag = saved
    record = artifact_record(path)
    assert record["tag"] == tag and record["kind"] == "pipeline" and record["size"] == path.stat().st_size
    assert record["artifact_format"] == 1
    assert {"python", "torch", "scikit-learn", "numpy", "joblib"} <= set(record["versions"])
    assert artifact_record(path.read_bytes() + b"x") is None


def test_a_changed_byte_is_refused_as_an_unknown_signature(saved, tmp_path):
    path, _ = saved
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    refused = _refusal(bytes(data))
    assert refused.reason == "unknown_signature"
    assert NOT_OURS in str(refused) and "changed after it was saved" in str(refused)


def test_a_truncated_file_is_refused_as_cut_off(saved):
    path, _ = saved
    data = path.read_bytes()
    refused = _refusal(data[: len(data) // 2])
    assert refused.reason == "truncated"
    assert f"stops after {len(data) // 2:,} bytes" in str(refused) and "interrupted" in str(refused)


def test_an_empty_file_is_refused_as_empty(home, tmp_path):
    empty = tmp_path / "empty.pkl"
    empty.write_bytes(b"")
    refused = _refusal(empty)
    assert refused.reason == "empty" and "empty (0 bytes)" in str(refused)


def test_a_file_that_is_not_a_pickle_is_refused_as_such(saved):
    refused = _refusal(b"sepal_length,species\n5.1,setosa\n")
    assert refused.reason == "not_pickle"
    assert (
        NOT_OURS in str(refused) and "not a pickle at all" in str(refused) and "sepal_length" in str(refused)
    )


def test_a_foreign_pickle_is_refused(home, fitted, tmp_path):
    save_artifact({"other": 1}, tmp_path / "ours.pkl")  # the installation has a key and records
    foreign = tmp_path / "foreign.pkl"
    joblib.dump(fitted[0], foreign)
    refused = _refusal(foreign)
    assert refused.reason == "unknown_signature" and NOT_OURS in str(refused)
    assert "joblib.load" in str(refused)  # the way out for a file the user trusts
    assert isinstance(refused, ValueError)


def test_an_installation_that_never_signed_anything_refuses_every_pickle(home, fitted, tmp_path):
    foreign = tmp_path / "foreign.pkl"
    joblib.dump(fitted[0], foreign)
    assert _refusal(foreign).reason == "unknown_signature"
    assert not (home / "signing.key").exists()  # refusing did not create a key


def test_an_artifact_signed_by_another_installation_is_refused(fitted, tmp_path):
    path = tmp_path / "elsewhere.pkl"
    save_artifact(fitted[0], path, home=tmp_path / "other-home")
    assert load_pipeline(path, home=tmp_path / "other-home") is not None
    save_artifact({"x": 1}, tmp_path / "mine.pkl", home=tmp_path / "this-home")
    assert _refusal(path, home=tmp_path / "this-home").reason == "unknown_signature"


@pytest.mark.parametrize("damage", ["as-is", "truncated", "one-byte-changed"])
def test_a_malicious_pickle_is_refused_without_running_it(home, tmp_path, damage):
    save_artifact({"other": 1}, tmp_path / "ours.pkl")
    target = tmp_path / "created-by-pickle"
    payload = pickle.dumps(CreatesFile(target))
    pickle.loads(payload).close()  # the payload does create the file when unpickled ...
    target.unlink()
    if damage == "truncated":
        payload = payload[:-3]
    elif damage == "one-byte-changed":
        payload = payload[:-2] + b"x" + payload[-1:]
    upload = tmp_path / "upload.pkl"
    upload.write_bytes(payload)
    _refusal(upload)
    _refusal(io.BytesIO(payload))
    assert not target.exists()  # ... and load_pipeline did not unpickle it


def test_a_signed_file_of_another_kind_is_not_opened_as_a_pipeline(home, tmp_path):
    target = tmp_path / "created-by-pickle"
    card = tmp_path / "model_card.json"
    write_signed('{"task": "classification"}', card, "model_card")
    assert verify_artifact(card.read_bytes())
    refused = _refusal(card)
    assert refused.reason == "not_a_pipeline" and "a model card (JSON)" in str(refused)
    # Even a pickle signed as something else never reaches the unpickler.
    disguised = tmp_path / "model.onnx"
    write_signed(pickle.dumps(CreatesFile(target)), disguised, "onnx")
    assert _refusal(disguised).reason == "not_a_pipeline"
    assert not target.exists()


def test_write_signed_refuses_an_unknown_kind_and_leaves_pipelines_to_save_artifact(home, tmp_path):
    with pytest.raises(ValueError, match="kind must be one of"):
        write_signed(b"x", tmp_path / "x.bin", "pipeline")
    with pytest.raises(ValueError, match="kind must be one of"):
        write_signed(b"x", tmp_path / "x.bin", "anything")
    assert not (tmp_path / "x.bin").exists()


def test_the_signing_key_is_private(saved, home):
    key = home / "signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_bytes()) == 32


def test_a_key_readable_by_others_is_restricted_again(saved, home):
    key = home / "signing.key"
    os.chmod(key, 0o644)
    assert len(signing_key()) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_key_replaced_by_a_symbolic_link_is_refused(saved, home, tmp_path):
    chosen = tmp_path / "chosen.key"
    chosen.write_bytes(b"k" * 32)
    key = home / "signing.key"
    key.unlink()
    key.symlink_to(chosen)
    with pytest.raises(ValueError, match="symbolic link"):
        signing_key()
    with pytest.raises(ValueError, match="symbolic link"):
        load_pipeline(saved[0])


def test_a_damaged_key_is_reported_with_the_way_out(saved, home):
    (home / "signing.key").write_bytes(b"short")
    with pytest.raises(ValueError, match="damaged .* Delete it to create a new key"):
        signing_key()


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


def test_pipelines_signed_before_kinds_and_formats_were_recorded_still_open(home, tmp_path):
    """A database from the first release: the signatures table has no kind, format or versions yet."""
    key = signing_key()
    path = tmp_path / "old.pkl"
    joblib.dump({"trained": "long ago"}, path)
    from backend.artifacts.signing import tag_of

    conn = sqlite3.connect(home / "runs.db")
    with conn:
        conn.execute("DROP TABLE IF EXISTS signatures")
        conn.execute(
            "CREATE TABLE signatures (tag TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL,"
            " created_at REAL NOT NULL)"
        )
        conn.execute(
            "INSERT INTO signatures VALUES (?, ?, ?, 0)", (tag_of([path.read_bytes()], key), str(path), 1)
        )
    conn.close()
    assert load_pipeline(path) == {"trained": "long ago"}
    record = artifact_record(path)
    assert record["kind"] == "pipeline" and record["artifact_format"] is None and record["versions"] == {}
