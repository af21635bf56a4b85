"""In a real browser: a malicious pickle uploaded on the Predict page is refused before anything in it runs."""

from __future__ import annotations

import pickle

import pytest
from playwright.sync_api import sync_playwright

from dashboard.browser import go, settle, upload
from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 120_000


class _CreatesAFile:
    """Unpickling this object opens (so creates) a file: the stand-in for any code an attacker would run."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_an_uploaded_malicious_pickle_is_refused_and_nothing_in_it_runs(tmp_path):
    marker = tmp_path / "pickle_code_ran"
    evil = tmp_path / "model.pkl"
    evil.write_bytes(pickle.dumps(_CreatesAFile(str(marker))))
    # The file does what it claims when unpickled: the browser check below could fail.
    probe = tmp_path / "probe_ran"
    pickle.loads(pickle.dumps(_CreatesAFile(str(probe)))).close()
    assert probe.exists()

    with running_server(tmp_path / "home") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text("Ready:").wait_for()
        settle(page)
        go(page, "Predict")
        page.get_by_text("Upload a .pkl", exact=True).click()
        settle(page)
        upload(page, str(evil))
        error = page.locator('[data-testid="stAlertContentError"]').first
        error.wait_for()
        message = error.inner_text()
        browser.close()

    assert "signature" in message.lower() or "not produced" in message.lower(), message
    assert "Traceback" not in message
    assert not marker.exists()
