"""Artifacts on the Results and Predict pages: the model card rendered, the reproduction script with the data
snapshot it reads, the ONNX network with its parity, and refusals of pickles this installation did not sign."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
from pathlib import Path

from backend.artifacts import ARTIFACT_FORMAT
from backend.artifacts.signing import record_signature, signing_key, tag_of
from backend.runs.store import DATA_FILE
from dashboard import services
from tests.dashboard.test_predict_page import text_of, upload_pickle

ROOT = Path(__file__).resolve().parents[2]


def _downloads(at) -> set[str]:
    return {d.label for d in at.get("download_button")}


def test_results_render_the_model_card_and_offer_it_as_markdown(trained, open_page):
    at = open_page("results", run=trained["iris"])
    assert not at.exception and not at.error
    assert "Model card" in [h.value for h in at.subheader]
    card = " ".join(m.value for m in at.markdown)
    assert "Classification of `species`" in card
    assert "| metric | mean | std | min | max |" in card and "| Accuracy |" in card
    assert "Fingerprint `" in card and "| `petal length (cm)` | numeric |" in card
    assert "pipeline = joblib.load(" in card
    assert {"Model card (JSON)", "Model card (Markdown)"} <= _downloads(at)


def test_onnx_download_shows_its_parity_with_pytorch(trained, open_page):
    at = open_page("results", run=trained["iris"])
    parity = services.store().get_result(trained["iris"], "onnx")["parity"]
    assert "ONNX network (model.onnx)" in _downloads(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Parity"] == "passed"
    assert metrics["Rows compared"] == str(parity["n_rows"])
    assert metrics["Max abs. difference"] == f"{parity['max_abs_diff']:.2e}"


def test_the_reproduction_script_runs_on_the_downloaded_data_snapshot(trained, open_page, tmp_path):
    run_id = trained["iris"]
    at = open_page("results", run=run_id)
    assert {"Reproduction script (reproduce.py)", "Data snapshot (Parquet)"} <= _downloads(at)
    command = next(c.value for c in at.caption if "_reproduce.py" in c.value)
    # The two files, under the names the page gives them, in a folder of their own, as the caption says.
    folder = services.store().run_dir(run_id)
    shutil.copy(folder / "reproduce.py", tmp_path / f"{run_id}_reproduce.py")
    shutil.copy(folder / DATA_FILE, tmp_path / f"{run_id}_{DATA_FILE}")
    args = command.split("`python ")[1].split("`")[0].split()
    done = subprocess.run(
        [sys.executable, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TORCHWORK_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    accuracy = services.store().get_run(run_id)["summary"]["scores"]["accuracy"]["mean"]
    assert f"{accuracy:.4f}" in done.stdout


def _tampered(content: bytes) -> bytes:
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :]


class CreatesFile:
    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_predict_refuses_a_tampered_pipeline_with_the_reason(trained, open_page):
    content = (services.store().run_dir(trained["iris"]) / "pipeline.pkl").read_bytes()
    at = upload_pickle(open_page("predict"), _tampered(content))
    assert not at.exception
    message = text_of(at.error)
    assert "its signature is unknown" in message and "changed after it was saved" in message


def test_predict_refuses_a_pickle_that_would_run_code_without_running_it(trained, open_page, tmp_path):
    target = tmp_path / "created-by-pickle"
    at = upload_pickle(open_page("predict"), pickle.dumps(CreatesFile(target)))
    assert "was not produced by this Torchwork installation" in text_of(at.error)
    assert not target.exists()


def test_predict_refuses_a_newer_versions_pipeline_naming_the_version_it_needs(trained, open_page, tmp_path):
    target = tmp_path / "created-by-pickle"
    data = pickle.dumps(CreatesFile(target))
    path = tmp_path / "future.pkl"
    path.write_bytes(data)
    # Signed by this installation, as Torchwork 9.1 with a newer artifact format would sign it.
    record_signature(
        tag_of([data], signing_key()), path, len(data), kind="pipeline",
        artifact_format=ARTIFACT_FORMAT + 1, versions={"torchwork": "9.1.0"},
    )
    at = upload_pickle(open_page("predict"), data)
    message = text_of(at.error)
    assert "saved by Torchwork 9.1.0" in message and "pip install 'torchwork>=9.1.0'" in message
    assert not target.exists()


def test_a_run_without_onnx_says_why(trained, open_page):
    # Every sample run exports; a run whose export was not made says why instead of offering a button.
    store = services.store()
    run_id = trained["diabetes"]
    report = store.get_result(run_id, "onnx")
    try:
        store.set_result(run_id, "onnx", {"exported": False, "reason": "the onnx extra is not installed"})
        at = open_page("results", run=run_id)
        assert any("No ONNX export: the onnx extra is not installed" in c.value for c in at.caption)
        assert "ONNX network (model.onnx)" not in _downloads(at)
    finally:
        store.set_result(run_id, "onnx", report)


def test_an_image_run_offers_its_images_as_a_zip_and_signed_downloads(open_page, tmp_path):
    from backend.artifacts import artifact_record
    from backend.data import load_sample
    from backend.runs.training import train_run
    from backend.spec import ExperimentSpec

    spec = ExperimentSpec.for_target("digit")
    spec.data.modality, spec.data.image_size = "images", 8
    spec.model.architecture, spec.model.conv_channels = "convnet", (4,)
    spec.training.max_epochs, spec.training.patience, spec.evaluation.folds = 2, 1, 2
    store = services.store()
    frame = load_sample("digits").head(60)  # every digit six times
    run_id = store.create_run(spec.to_dict(), frame, name="digits", dataset="digits", target="digit",
                              task="classification")
    store.set_status(run_id, "running")
    train_run(store, run_id)
    store.set_status(run_id, "succeeded")
    at = open_page("results", run=run_id)
    assert not at.exception and not at.error
    downloads = _downloads(at)
    assert {"Data (zip of the images)", "Model card (Markdown)"} <= downloads
    assert "Data snapshot (Parquet)" not in downloads
    command = next(c.value for c in at.caption if "_reproduce.py" in c.value)
    assert f"python {run_id}_reproduce.py {run_id}_data.zip" in command
    folder = store.run_dir(run_id)
    for name, kind in (("data.zip", "data"), ("model_card.md", "model_card_md"), ("data.parquet", "data")):
        assert artifact_record(folder / name)["kind"] == kind, name
