"""The Settings page: local processes or a Dask scheduler, with a connection test that lists the workers."""

from __future__ import annotations

import pytest

from backend.compute import load_compute_settings


@pytest.fixture
def settings_page(tmp_path, monkeypatch, open_page):
    monkeypatch.setenv("TORCHWORK_HOME", str(tmp_path))
    monkeypatch.delenv("TORCHWORK_DASK_SCHEDULER", raising=False)
    monkeypatch.delenv("TORCHWORK_N_JOBS", raising=False)
    return open_page("settings")


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_local_processes_are_saved_for_new_runs(settings_page, tmp_path):
    at = settings_page
    assert not at.exception
    at.number_input(key="w.settings.n_jobs").set_value(2).run()
    _button(at, "Save").click().run()
    assert any(
        "cross-validation and searches started from now on use 2 local processes" in s.value
        for s in at.success
    )
    settings = load_compute_settings(tmp_path)
    assert settings.n_jobs == 2 and settings.target == "local"


def test_the_page_says_the_setting_is_for_cross_validation_folds_and_searches(settings_page):
    caption = " ".join(c.value for c in settings_page.caption)
    assert (
        "the folds of a cross-validation, and a hyperparameter search's candidates and their folds" in caption
    )
    assert "A run without a search trains its folds one after another" not in caption
    help_text = settings_page.number_input(key="w.settings.n_jobs").help
    assert "cross-validation folds" in help_text


def test_a_malformed_address_cannot_be_tested_or_saved(settings_page):
    at = settings_page
    at.radio(key="w.settings.target").set_value("A Dask cluster").run()
    at.text_input(key="w.settings.scheduler").input("my laptop").run()
    assert any("is not a Dask scheduler address" in c.value for c in at.caption)
    assert _button(at, "Test connection").disabled and _button(at, "Save").disabled


def test_an_unreachable_scheduler_gives_a_clear_message(settings_page):
    at = settings_page
    at.radio(key="w.settings.target").set_value("A Dask cluster").run()
    # Nothing listens on port 1.
    at.text_input(key="w.settings.scheduler").input("tcp://127.0.0.1:1").run()
    _button(at, "Test connection").click().run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "Could not connect to a Dask scheduler at 'tcp://127.0.0.1:1'" in message
    assert "Check the address" in message


def test_saving_an_unreachable_scheduler_saves_it_with_a_warning_not_a_success(settings_page, tmp_path):
    at = settings_page
    at.radio(key="w.settings.target").set_value("A Dask cluster").run()
    at.text_input(key="w.settings.scheduler").input("tcp://127.0.0.1:1").run()
    _button(at, "Save").click().run()
    assert not at.exception and not at.success
    warning = " ".join(w.value for w in at.warning)
    assert "Saved, but the scheduler is unreachable now" in warning
    assert "Could not connect to a Dask scheduler at 'tcp://127.0.0.1:1'" in warning
    assert load_compute_settings(tmp_path).scheduler == "tcp://127.0.0.1:1"


def test_test_connection_lists_a_real_clusters_workers_and_threads(settings_page, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        at = settings_page
        at.radio(key="w.settings.target").set_value("A Dask cluster").run()
        at.text_input(key="w.settings.scheduler").input(cluster.scheduler_address).run()
        _button(at, "Test connection").click().run()
        assert not at.exception and not at.error
        assert any("2 workers, 2 threads" in s.value for s in at.success)
        workers = at.dataframe[0].value
        assert len(workers) == 2 and workers["threads"].tolist() == [1, 1]
        _button(at, "Save").click().run()
        assert not at.warning
        assert any(
            f"cross-validation and searches started from now on use the Dask cluster at {cluster.scheduler_address}"
            in s.value
            for s in at.success
        )
    assert load_compute_settings(tmp_path).scheduler == cluster.scheduler_address
