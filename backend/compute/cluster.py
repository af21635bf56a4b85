"""Connecting to a Dask cluster, and describing its workers (the dashboard's "test connection")."""

from __future__ import annotations

from typing import Any

from backend.compute.threads import usable_cpus

#: Seconds to wait for a scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 10.0


class ClusterUnavailable(ValueError):
    """A Dask cluster that cannot be used: not installed here, unreachable, or without workers."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterUnavailable(
            "Running on a Dask cluster needs the 'distributed' package, which is not installed: install "
            "Torchwork with its dask extra (pip install 'torchwork[dask]'), or clear the scheduler address "
            "to run locally."
        ) from None
    return distributed


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S) -> Any:
    """A ``distributed.Client`` connected to the scheduler at ``address``; close it when done.

    The client is not made the process's default client, so it affects nothing but what it is given to.

    Raises
    ------
    ClusterUnavailable
        When ``distributed`` is missing or the scheduler does not answer within ``timeout`` seconds.
    """
    distributed = _distributed()
    if not isinstance(address, str) or not address.strip():
        raise ClusterUnavailable("No Dask scheduler address was given: write one such as tcp://host:8786.")
    try:
        return distributed.Client(address.strip(), timeout=f"{timeout}s", set_as_default=False)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        raise ClusterUnavailable(
            f"Could not connect to a Dask scheduler at {address!r} within {timeout:g} s ({reason}). Check the "
            "address (tcp://host:8786), that the scheduler is running, and that this machine can reach it."
        ) from None


def probe_workers(client: Any) -> list[dict[str, Any]]:
    """Each worker of ``client``'s cluster: ``address``, ``name``, ``host``, ``nthreads``, ``memory_limit``
    and ``cpus`` (the cores its process may use), sorted by address."""
    info = _scheduler_info(client, n_workers=-1)
    cpus = client.run(usable_cpus, on_error="return") if info["workers"] else {}
    workers = []
    for address, worker in sorted(info["workers"].items()):
        count = cpus.get(address)
        workers.append(
            {
                "address": address,
                "name": str(worker.get("name", address)),
                "host": worker.get("host", ""),
                "nthreads": int(worker.get("nthreads", 0)),
                "memory_limit": int(worker.get("memory_limit") or 0),
                "cpus": count if isinstance(count, int) else int(worker.get("nthreads", 1)),
            }
        )
    return workers


def _scheduler_info(client: Any, n_workers: int) -> dict[str, Any]:
    # Newer clients list only a few workers unless asked for all; older ones take no such argument.
    try:
        return client.scheduler_info(n_workers=n_workers)
    except TypeError:
        return client.scheduler_info()


def describe_cluster(address: str, timeout: float = CONNECT_TIMEOUT_S) -> dict[str, Any]:
    """What the scheduler at ``address`` offers: its workers and their threads.

    Returns
    -------
    dict
        ``address`` (the scheduler's own), ``n_workers``, ``n_threads``, ``memory_limit`` (bytes, all
        workers) and ``workers``: a list of dicts as :func:`probe_workers` returns them.

    Raises
    ------
    ClusterUnavailable
        When ``distributed`` is missing or the scheduler cannot be reached; the message says what to check.
    """
    client = connect(address, timeout)
    try:
        scheduler = _scheduler_info(client, n_workers=0).get("address", address)
        workers = probe_workers(client)
    except Exception as exc:
        raise ClusterUnavailable(
            f"Connected to {address!r} but could not list its workers ({type(exc).__name__}: {exc})."
        ) from None
    finally:
        client.close()
    return {
        "address": scheduler,
        "n_workers": len(workers),
        "n_threads": sum(w["nthreads"] for w in workers),
        "memory_limit": sum(w["memory_limit"] for w in workers),
        "workers": workers,
    }
