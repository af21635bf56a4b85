"""How many torch threads each worker process uses, so that parallel fits do not oversubscribe the cores."""

from __future__ import annotations

import os
from collections.abc import Iterable


def usable_cpus() -> int:
    """The cores this process may run on (its affinity where the system reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def threads_per_worker(cpus: int, concurrent_fits: int) -> int:
    """Torch threads for each of ``concurrent_fits`` fits sharing ``cpus`` cores: at least 1."""
    return max(1, cpus // max(1, concurrent_fits))


def set_torch_threads(n: int | None) -> None:
    """Limit this process's torch intra-op threads to ``n`` (None leaves them as they are)."""
    if n is None:
        return
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def host_shares(workers: Iterable[dict]) -> dict[str, int]:
    """Torch threads for each Dask worker: its host's cores shared by every task thread on that host.

    ``workers`` are dicts with ``address``, ``host``, ``nthreads`` and ``cpus`` (the cores the
    worker's process may use), as :func:`backend.compute.cluster.probe_workers` returns them.
    """
    workers = list(workers)
    threads_on_host: dict[str, int] = {}
    for worker in workers:
        threads_on_host[worker["host"]] = threads_on_host.get(worker["host"], 0) + int(worker["nthreads"])
    return {
        worker["address"]: threads_per_worker(int(worker["cpus"]), threads_on_host[worker["host"]])
        for worker in workers
    }
