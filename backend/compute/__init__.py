"""Compute: where cross-validation folds and a search's fits run (local worker processes or a Dask cluster).

settings = load_compute_settings()          # home's settings.json, then TORCHWORK_DASK_SCHEDULER
with compute_session(settings, data=[X, y], consumer=on_message) as session:
    ...                                     # joblib / scikit-learn work runs on session.target
describe_cluster("tcp://host:8786")         # {"n_workers", "n_threads", "workers": [...]}
"""

from backend.compute.channel import Channel
from backend.compute.cluster import ClusterUnavailable, describe_cluster
from backend.compute.session import ComputeSession, compute_session
from backend.compute.settings import (
    N_JOBS_ENV,
    SCHEDULER_ENV,
    ComputeSettings,
    ComputeSettingsError,
    load_compute_settings,
    save_compute_settings,
)
from backend.compute.threads import set_torch_threads

__all__ = [
    "N_JOBS_ENV",
    "SCHEDULER_ENV",
    "Channel",
    "ClusterUnavailable",
    "ComputeSession",
    "ComputeSettings",
    "ComputeSettingsError",
    "compute_session",
    "describe_cluster",
    "load_compute_settings",
    "save_compute_settings",
    "set_torch_threads",
]
