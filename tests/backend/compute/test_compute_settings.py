import json

import pytest

from backend.compute import (
    N_JOBS_ENV,
    SCHEDULER_ENV,
    ComputeSettings,
    ComputeSettingsError,
    load_compute_settings,
    save_compute_settings,
)


@pytest.fixture(autouse=True)
def _no_compute_env(monkeypatch):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    monkeypatch.delenv(N_JOBS_ENV, raising=False)


def test_without_settings_jobs_run_locally_in_one_process(tmp_path):
    settings = load_compute_settings(tmp_path)
    assert settings == ComputeSettings(n_jobs=1, scheduler="") and settings.target == "local"


def test_saved_settings_load_back_and_keep_other_sections(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"theme": "dark"}))
    save_compute_settings(ComputeSettings(n_jobs=2, scheduler="tcp://10.0.0.5:8786"), tmp_path)
    settings = load_compute_settings(tmp_path)
    assert settings.n_jobs == 2 and settings.scheduler == "tcp://10.0.0.5:8786" and settings.target == "dask"
    assert json.loads((tmp_path / "settings.json").read_text())["theme"] == "dark"


def test_the_environment_overrides_the_saved_settings(tmp_path, monkeypatch):
    save_compute_settings(ComputeSettings(n_jobs=4, scheduler="tcp://10.0.0.5:8786"), tmp_path)
    monkeypatch.setenv(SCHEDULER_ENV, "")
    monkeypatch.setenv(N_JOBS_ENV, "2")
    assert load_compute_settings(tmp_path) == ComputeSettings(n_jobs=2, scheduler="")
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://scheduler:8786")
    assert load_compute_settings(tmp_path).target == "dask"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (ComputeSettings(n_jobs=0), "n_jobs = 0: must be a whole number of processes, at least 1"),
        (
            ComputeSettings(scheduler="my cluster"),
            "is not a Dask scheduler address: write it as tcp://host:8786",
        ),
    ],
)
def test_unusable_settings_are_refused_and_not_saved(tmp_path, settings, message):
    with pytest.raises(ComputeSettingsError, match=message):
        save_compute_settings(settings, tmp_path)
    assert not (tmp_path / "settings.json").exists()


def test_a_bad_environment_value_says_which_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(N_JOBS_ENV, "two")
    with pytest.raises(ComputeSettingsError, match="TORCHWORK_N_JOBS = 'two': must be a whole number"):
        load_compute_settings(tmp_path)
