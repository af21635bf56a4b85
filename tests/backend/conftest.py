"""Fixtures for the backend tests (TORCHWORK_HOME is set for every test by tests/conftest.py)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # The tests train tiny nets: a second intra-op thread only adds contention on a shared 2-core machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
