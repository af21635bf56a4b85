"""The dashboard in a real browser: upload, target, train, results, download the pickle, use it in Python."""

from __future__ import annotations

import time

import joblib
import numpy as np
import pytest
from playwright.sync_api import Page, sync_playwright

from backend.data import load_sample
from backend.runs import RunStore
from backend.runs.processes import process_alive
from dashboard.browser import choose, fill, go, run_id_in_url, settle, upload
from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A `streamlit run` server on a free port with its own home; stopped (with its workers) after."""
    home = tmp_path_factory.mktemp("e2e") / "home"
    with running_server(home) as url:
        yield url, home


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server[0])
    page.get_by_text("Ready:").wait_for()
    settle(page)
    yield page
    context.close()


def start_long_run(page: Page) -> str:
    """Start a run of 3000 epochs without early stopping (it trains until cancelled); return its id."""
    go(page, "Model")
    fill(page, "Epochs", 3000)
    page.get_by_text("Early stopping", exact=True).click()
    settle(page)
    go(page, "Train")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("button", name="Cancel").wait_for()
    return run_id_in_url(page)


def wait_training(store: RunStore, run_id: str) -> None:
    """Wait until the run's worker has recorded its first epoch."""
    while store.get_run(run_id)["status"] != "running" or store.epochs(run_id).empty:
        time.sleep(0.2)


def wine_csv(tmp_path):
    """A user's table: the target first, a text category, numbers; written as a plain CSV."""
    frame = load_sample("wine")
    frame.insert(0, "cultivar", frame.pop("cultivar"))
    frame["cellar"] = np.where(np.arange(len(frame)) % 3 == 0, "north", "south")
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_upload_pick_target_train_and_use_the_downloaded_pickle(page, tmp_path):
    path, frame = wine_csv(tmp_path)
    page.get_by_text("Upload a file", exact=True).click()
    settle(page)
    upload(page, str(path))
    page.get_by_role("heading", name="wine.csv").wait_for()
    choose(page, "Target column", "cultivar")
    page.get_by_text("Ready: predicting cultivar (classification)").wait_for()

    go(page, "Model")
    fill(page, "Patience", 2)
    fill(page, "Epochs", 3)
    fill(page, "Folds", 2)
    page.get_by_text("These settings are valid").wait_for()

    go(page, "Train")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Training finished.").wait_for()
    assert "?run=" in page.url
    page.get_by_role("link", name="Open the results").click()
    page.get_by_role("heading", name="Downloads").wait_for()
    settle(page)
    assert page.get_by_text("2-fold cross-validation").is_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Fitted pipeline (.pkl)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith("pipeline.pkl")
    pipeline = joblib.load(saved)
    rows = frame.drop(columns=["cultivar"]).sample(12, random_state=1)
    predicted = pipeline.predict(rows)
    assert set(predicted) <= set(frame["cultivar"])
    assert np.allclose(pipeline.predict_proba(rows).sum(axis=1), 1.0, atol=1e-5)


def test_switching_pages_and_reloading_never_stop_a_running_job(page, server):
    url, home = server
    run_id = start_long_run(page)
    store = RunStore(home)
    wait_training(store, run_id)

    switches = {name: go(page, name) for name in ("Data", "Model", "Results", "Runs", "Predict", "Train")}
    print("page switch seconds while a job trains:", {k: round(v, 2) for k, v in switches.items()})
    assert store.get_run(run_id)["status"] == "running"

    epochs_before = len(store.epochs(run_id))
    page.reload()
    page.get_by_role("heading", name="Train", exact=True).wait_for()
    page.get_by_text(f"Run {run_id} · running").wait_for()
    # The page polls the run: new epochs keep arriving after the reload.
    while len(store.epochs(run_id)) <= epochs_before:
        time.sleep(0.2)

    started = time.perf_counter()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("The run was cancelled").wait_for()
    print(f"cancel to 'cancelled' on screen: {time.perf_counter() - started:.2f} s")
    assert store.get_run(run_id)["status"] == "cancelled"


def test_a_server_restart_shows_the_run_in_flight_as_interrupted(browser, tmp_path):
    home = tmp_path / "home"
    with running_server(home) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text("Ready:").wait_for()
        settle(page)
        run_id = start_long_run(page)
        store = RunStore(home)
        wait_training(store, run_id)
        worker = store.get_run(run_id)["pid"]
        page.close()
    # The server has stopped: its job ended with it, and says so.
    run = store.get_run(run_id)
    assert run["status"] == "interrupted"
    assert "server shut down" in run["error"]
    assert not process_alive(worker)

    with running_server(home) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/?run={run_id}")
        page.get_by_text("Ready:").wait_for()
        go(page, "Train")
        page.get_by_text(f"Run {run_id} · interrupted").wait_for()
        page.get_by_text("server shut down").wait_for()
        page.close()
