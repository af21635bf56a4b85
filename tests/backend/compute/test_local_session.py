import os

import joblib
import numpy as np

from backend.compute import ComputeSettings, compute_session


def _task(i, data, channel):
    import torch

    channel.send(
        {"task": i, "pid": os.getpid(), "threads": torch.get_num_threads(), "total": float(data.sum())}
    )
    return i * i


def test_tasks_in_this_process_reach_the_consumer_directly():
    got = []
    data = np.ones(10)
    with compute_session(ComputeSettings(n_jobs=1), [data], got.append) as session:
        out = joblib.Parallel()(joblib.delayed(_task)(i, data, session.channel) for i in range(3))
        assert session.channel.is_home and session.n_workers == 1 and session.torch_threads is None
    assert out == [0, 1, 4]
    assert [m["task"] for m in got] == [0, 1, 2] and {m["pid"] for m in got} == {os.getpid()}


def test_tasks_in_worker_processes_report_home_and_share_the_cores():
    got = []
    data = np.ones(1000)
    with compute_session(ComputeSettings(n_jobs=2), [data], got.append) as session:
        out = joblib.Parallel()(joblib.delayed(_task)(i, data, session.channel) for i in range(4))
        threads = session.torch_threads
        assert session.wait_until(lambda: len(got) == 4, timeout=10)
    assert out == [0, 1, 4, 9]
    assert sorted(m["task"] for m in got) == [0, 1, 2, 3]
    assert os.getpid() not in {m["pid"] for m in got}
    assert threads == max(1, len(os.sched_getaffinity(0)) // 2)
    assert {m["threads"] for m in got} == {threads} and {m["total"] for m in got} == {1000.0}
