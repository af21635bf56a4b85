"""A compute session: joblib pointed at local worker processes or a Dask cluster, with a channel home.

Inside ``with compute_session(settings, data, consumer) as session:`` every joblib ``Parallel`` left at
its default ``n_jobs`` (scikit-learn's searches and cross-validation included) runs its tasks on the
configured target, and tasks reach ``consumer`` through ``session.channel``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import joblib

from backend.compute.channel import Channel, Consumer, DaskEventListener, SocketListener
from backend.compute.cluster import ClusterUnavailable, connect, probe_workers
from backend.compute.settings import ComputeSettings
from backend.compute.threads import host_shares, set_torch_threads, threads_per_worker, usable_cpus

#: Seconds a session waits for a cluster without workers to gain one.
WORKER_WAIT_S = 10.0


@dataclass
class ComputeSession:
    """Where this session's tasks run, and how they report home.

    Attributes
    ----------
    target : str
        ``"local"`` or ``"dask"``.
    n_workers : int
        How many tasks can run at once (local processes, or the cluster's worker threads).
    channel : Channel
        Picklable; a task calls ``channel.send(message)`` to reach the session's consumer.
    torch_threads : int or None
        Torch threads for a task running in a local worker process; None when tasks run in this
        process or on Dask workers (whose threads the session has already set, per host).
    description : str
        Where the work runs, in words.
    """

    target: str
    n_workers: int
    channel: Channel
    torch_threads: int | None
    description: str

    def wait_until(self, done: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Wait until ``done()`` is true (messages still travelling) or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True


@contextlib.contextmanager
def compute_session(
    settings: ComputeSettings, data: Sequence[Any] = (), consumer: Consumer | None = None
) -> Iterator[ComputeSession]:
    """Run the joblib work of the ``with`` block where ``settings`` say, and relay tasks' messages.

    Parameters
    ----------
    settings : ComputeSettings
        Local processes (``n_jobs``) or a Dask scheduler (``scheduler``).
    data : sequence
        Large arguments every task receives (the dataset): on a cluster they are sent to each worker
        once, and tasks refer to them. Pass the very objects the tasks are given.
    consumer : callable, optional
        Called with each message a task sends through ``session.channel``, one at a time.

    Raises
    ------
    ComputeSettingsError
        When the settings cannot be used.
    ClusterUnavailable
        When the Dask cluster is not installed here, cannot be reached or has no workers.
    """
    settings.validated()
    consume = consumer if consumer is not None else _ignore
    if settings.target == "dask":
        with _dask_session(settings.scheduler, data, consume) as session:
            yield session
        return
    n_workers = usable_cpus() if settings.n_jobs == -1 else settings.n_jobs
    threads = threads_per_worker(usable_cpus(), n_workers) if n_workers > 1 else None
    with SocketListener(consume) as listener:
        config: dict[str, Any] = {"backend": "loky", "n_jobs": n_workers}
        if threads is not None:
            config["inner_max_num_threads"] = threads
        with joblib.parallel_config(**config):
            yield ComputeSession(
                target="local",
                n_workers=n_workers,
                channel=listener.channel,
                torch_threads=threads,
                description="this process" if n_workers == 1 else f"{n_workers} local processes",
            )


@contextlib.contextmanager
def _dask_session(address: str, data: Sequence[Any], consume: Consumer) -> Iterator[ComputeSession]:
    client = connect(address)
    try:
        workers = probe_workers(client)
        if not workers:
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except Exception:
                raise ClusterUnavailable(
                    f"The Dask scheduler at {address!r} has no workers (none joined within "
                    f"{WORKER_WAIT_S:g} s): start workers for it, or clear the address to run locally."
                ) from None
            workers = probe_workers(client)
        for worker, threads in host_shares(workers).items():
            client.run(set_torch_threads, threads, workers=[worker])
        n_threads = sum(w["nthreads"] for w in workers)
        with DaskEventListener(client, consume) as listener:
            with joblib.parallel_config(backend="dask", n_jobs=-1, client=client, scatter=list(data)):
                yield ComputeSession(
                    target="dask",
                    n_workers=n_threads,
                    channel=listener.channel,
                    torch_threads=None,
                    description=f"Dask cluster {address} ({len(workers)} workers, {n_threads} threads)",
                )
    finally:
        client.close()


def _ignore(message: Any) -> None:
    return None
