"""The downloaded pipeline is a plain joblib pickle: a fresh Python process with only the package installed
opens it and predicts, also on a machine without CUDA when the model was trained on a GPU."""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import joblib
import numpy as np
import pytest
import torch
from artifact_helpers import run_python

from backend.artifacts import load_pipeline
from backend.pipeline import fitted_net

# Appended to the model card's example, which has just loaded pipeline.pkl and printed one prediction.
CHECKS = """
import json, sys, torch
rows = pd.read_parquet("rows.parquet")
found = {"cuda": torch.cuda.is_available()}
for name in ("pipeline.pkl", "cuda_pipeline.pkl"):
    model = joblib.load(name)
    found[name] = {
        "predictions": model.predict(rows).tolist(),
        "proba": model.predict_proba(rows).tolist(),
        "device": str(model.named_steps["net"].device_),
    }
found["dashboard_imported"] = sorted(m for m in ("streamlit", "dashboard") if m in sys.modules)
print(json.dumps(found))
"""


@contextlib.contextmanager
def _storages_tagged_as_cuda():
    """Make torch.save write every tensor as living on ``cuda:0``, as a GPU-trained net's state would be.

    This machine has no GPU: the tagger stands in for tensors that really sit on the device, so that the
    saved bytes are those a CUDA machine would write.
    """
    registry = torch.serialization._package_registry
    entry = (-1, lambda storage: "cuda:0", lambda obj, location: None)
    registry.insert(0, entry)
    try:
        yield
    finally:
        registry.remove(entry)


@pytest.fixture(scope="module")
def fresh_process(iris_run, tmp_path_factory):
    """One fresh process without CUDA that runs the card's example and opens a CUDA-trained pipeline."""
    folder = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(iris_run.folder / "pipeline.pkl", folder / "pipeline.pkl")
    pipeline = joblib.load(iris_run.folder / "pipeline.pkl")
    net = fitted_net(pipeline)
    net.device_ = torch.device("cuda")
    with _storages_tagged_as_cuda():
        joblib.dump(pipeline, folder / "cuda_pipeline.pkl")
        cuda_state = net.__getstate__()["torch_state"]
    net.device_ = torch.device("cpu")
    rows = iris_run.features.iloc[::10]
    rows.to_parquet(folder / "rows.parquet")
    card = json.loads((iris_run.folder / "model_card.json").read_text())
    output = run_python(card["example"] + CHECKS, cwd=folder, env={"CUDA_VISIBLE_DEVICES": ""}).splitlines()
    found = json.loads(output[-1])
    found["example_output"] = output[0]
    return {"found": found, "rows": rows, "pipeline": pipeline, "cuda_state": cuda_state}


def test_the_model_cards_example_loads_the_pickle_and_predicts_in_a_fresh_process(iris_run, fresh_process):
    found, rows = fresh_process["found"], fresh_process["rows"]
    pipeline = load_pipeline(iris_run.folder / "pipeline.pkl", home=iris_run.home)
    first = iris_run.features.head(1)  # the row the example predicts
    assert found["example_output"] == str(pipeline.predict(first))
    assert found["pipeline.pkl"]["predictions"] == pipeline.predict(rows).tolist()
    np.testing.assert_allclose(found["pipeline.pkl"]["proba"], pipeline.predict_proba(rows), atol=1e-6)
    assert found["dashboard_imported"] == []  # the pickle needs the backend only


def test_a_pipeline_trained_on_cuda_loads_and_predicts_without_cuda(fresh_process):
    # The bytes do name the GPU: torch alone refuses them on a machine without one ...
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(io.BytesIO(fresh_process["cuda_state"]), weights_only=False)
    # ... while the pickled pipeline maps them to the CPU and predicts as before.
    found, rows = fresh_process["found"], fresh_process["rows"]
    assert found["cuda"] is False and found["cuda_pipeline.pkl"]["device"] == "cpu"
    assert found["cuda_pipeline.pkl"]["predictions"] == fresh_process["pipeline"].predict(rows).tolist()
    np.testing.assert_allclose(
        found["cuda_pipeline.pkl"]["proba"], fresh_process["pipeline"].predict_proba(rows), atol=1e-6
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU to train on")
def test_a_net_really_trained_on_cuda_loads_in_a_process_without_cuda(iris_run, tmp_path):
    from backend.pipeline import build_pipeline

    spec, frame = iris_run.spec, iris_run.frame
    pipeline = build_pipeline(spec, frame)
    pipeline.named_steps["net"].set_params(device="cuda")
    pipeline.fit(iris_run.features, frame[spec.data.target])
    assert fitted_net(pipeline).device_.type == "cuda"
    joblib.dump(pipeline, tmp_path / "gpu.pkl")
    rows = iris_run.features.iloc[::10]
    rows.to_parquet(tmp_path / "rows.parquet")
    code = (
        "import json, joblib, pandas as pd, torch\n"
        "model = joblib.load('gpu.pkl')\n"
        "print(json.dumps([torch.cuda.is_available(), str(model.named_steps['net'].device_),"
        " model.predict(pd.read_parquet('rows.parquet')).tolist()]))\n"
    )
    cuda, device, predictions = json.loads(
        run_python(code, cwd=tmp_path, env={"CUDA_VISIBLE_DEVICES": ""}).splitlines()[-1]
    )
    assert (cuda, device) == (False, "cpu")
    assert predictions == pipeline.predict(rows).tolist()
