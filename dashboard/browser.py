"""Driving the dashboard in Playwright (browser tests, screenshots): reruns, pages, widgets."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page


def settle(page: Page) -> None:
    """Wait until the app has finished the rerun a click started (twice: one rerun may follow another)."""
    for _ in range(2):
        page.wait_for_selector('[data-test-script-state="notRunning"]')
        page.wait_for_timeout(300)


def go(page: Page, name: str) -> float:
    """Open page ``name`` from the sidebar; return the seconds until its title and widgets are drawn."""
    started = time.perf_counter()
    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=name, exact=True).wait_for()
    page.wait_for_selector('[data-test-script-state="notRunning"]')
    elapsed = time.perf_counter() - started
    settle(page)
    return elapsed


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def fill(page: Page, label: str, value: object) -> None:
    """Type ``value`` into the text or number input labelled ``label`` and commit it."""
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    settle(page)


def upload(page: Page, path: str) -> None:
    """Upload the file at ``path`` with the page's (first) file uploader."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(path)
    settle(page)


def run_id_in_url(page: Page) -> str:
    """The ``?run=`` of the page's URL."""
    return page.url.split("run=")[1].split("&")[0]
