import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # Tiny nets on a shared machine: a second intra-op thread only adds contention, and one thread
    # makes every fit repeatable to the last bit.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
