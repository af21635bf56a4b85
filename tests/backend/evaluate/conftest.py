import pytest
import torch


@pytest.fixture(autouse=True)
def _torchwork_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHWORK_HOME", str(tmp_path / "home"))


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # The tests train tiny nets: a second intra-op thread only adds contention on a shared machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
