"""Where a run's parallel fits go: local processes or a Dask cluster, from the home's settings or environment.

They are a cross-validation's folds and a search's candidates and their folds; a holdout split and the final
fit on every row run in the job's own process.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from backend.home import torchwork_home

#: A Dask scheduler address; set, cross-validation folds and a search's candidates run on that cluster.
SCHEDULER_ENV = "TORCHWORK_DASK_SCHEDULER"
#: How many local worker processes a run's cross-validation folds or search may use.
N_JOBS_ENV = "TORCHWORK_N_JOBS"
SETTINGS_FILE = "settings.json"
_SECTION = "compute"


class ComputeSettingsError(ValueError):
    """Compute settings that cannot be used (a bad number of processes, a malformed address)."""


@dataclass(frozen=True)
class ComputeSettings:
    """Where a run's cross-validation folds, and a search's candidates and their folds, run.

    With one local process they run one after another in the job's own process; a holdout split and the
    final fit on every row always do.

    Parameters
    ----------
    n_jobs : int
        Local worker processes: 1 runs everything in the job's own process, -1 uses every core.
    scheduler : str
        A Dask scheduler's address (``tcp://host:8786``); when set, the work runs on that cluster's
        workers and ``n_jobs`` is not used.
    """

    n_jobs: int = 1
    scheduler: str = ""

    @property
    def target(self) -> str:
        """``"dask"`` when a scheduler is set, else ``"local"``."""
        return "dask" if self.scheduler else "local"

    def problems(self) -> list[str]:
        """What is wrong with these settings, as sentences; empty when they can be used."""
        found = []
        n_jobs = self.n_jobs
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or (n_jobs < 1 and n_jobs != -1):
            found.append(
                f"n_jobs = {n_jobs!r}: must be a whole number of processes, at least 1 (or -1: every core)"
            )
        if not isinstance(self.scheduler, str):
            found.append(f"scheduler = {self.scheduler!r}: must be an address such as tcp://host:8786")
        elif self.scheduler and (any(c.isspace() for c in self.scheduler) or ":" not in self.scheduler):
            found.append(
                f"scheduler = {self.scheduler!r} is not a Dask scheduler address: write it as tcp://host:8786 "
                "(leave it empty to run locally)"
            )
        return found

    def validated(self) -> ComputeSettings:
        """Return these settings, or raise :class:`ComputeSettingsError` listing their problems."""
        found = self.problems()
        if found:
            raise ComputeSettingsError("; ".join(found))
        return self


def load_compute_settings(home: Path | None = None) -> ComputeSettings:
    """The compute settings in force: the home's ``settings.json``, overridden by the environment.

    ``TORCHWORK_DASK_SCHEDULER`` (an address, or empty for local) and ``TORCHWORK_N_JOBS`` take
    precedence over the file, so a command line or a deployment can redirect jobs without editing it.

    Raises
    ------
    ComputeSettingsError
        When the file or the environment holds settings that cannot be used.
    """
    stored = _read_file(_settings_path(home)).get(_SECTION, {})
    if not isinstance(stored, dict):
        raise ComputeSettingsError(f"the {_SECTION!r} settings in {SETTINGS_FILE} must be a mapping")
    n_jobs = stored.get("n_jobs", ComputeSettings.n_jobs)
    scheduler = stored.get("scheduler", ComputeSettings.scheduler)
    if N_JOBS_ENV in os.environ:
        raw = os.environ[N_JOBS_ENV].strip()
        try:
            n_jobs = int(raw)
        except ValueError:
            raise ComputeSettingsError(f"{N_JOBS_ENV} = {raw!r}: must be a whole number such as 2") from None
    if SCHEDULER_ENV in os.environ:
        scheduler = os.environ[SCHEDULER_ENV].strip()
    return ComputeSettings(n_jobs=n_jobs, scheduler=scheduler).validated()


def save_compute_settings(settings: ComputeSettings, home: Path | None = None) -> None:
    """Store ``settings`` in the home's ``settings.json`` (other sections of the file are kept).

    Raises
    ------
    ComputeSettingsError
        When the settings cannot be used; nothing is written then.
    """
    settings.validated()
    path = _settings_path(home)
    payload = _read_file(path)
    payload[_SECTION] = asdict(settings)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _settings_path(home: Path | None) -> Path:
    return (Path(home) if home is not None else torchwork_home()) / SETTINGS_FILE


def _read_file(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ComputeSettingsError(f"{path} could not be read as JSON ({exc}); fix or delete it") from None
    if not isinstance(payload, dict):
        raise ComputeSettingsError(f"{path} must hold a JSON object; fix or delete it")
    return payload
