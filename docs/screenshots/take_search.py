"""Screenshots of the search and artifact screens, taken in headless Chromium against a fresh, temporary home.

Run from the repository root: ``.venv/bin/python docs/screenshots/take_search.py`` (about two minutes). It
runs a small grid search on the breast cancer sample and writes ``search_model.png``, ``search_train.png``,
``search_results.png`` (the search table and charts), ``search_card.png`` (the model card and exports) and ``settings.png`` next to this
file.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboard.browser import fill, go, settle
from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from take import HEIGHT, TIMEOUT_MS, WIDTH, shoot  # noqa: E402


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="torchwork-shots-")) / "home"
    with running_server(home) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text("Ready:").wait_for()
        settle(page)

        go(page, "Model")
        fill(page, "Epochs", 8)
        fill(page, "Patience", 3)
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Search").locator("input")
        box.click()
        page.keyboard.type("grid")
        page.get_by_role("option", name="grid", exact=True).wait_for()
        page.keyboard.press("Enter")
        settle(page)
        fill(page, "Learning rate to try", "0.001, 0.01")
        fill(page, "Hidden layers to try", "16; 64, 32")
        page.get_by_role("button", name="Estimate the time").click()
        page.get_by_text("Estimate: about").wait_for()
        settle(page)
        shoot(page, "search_model")

        go(page, "Train")
        fill(page, "Run name", "grid over lr and layers")
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("candidates finished").first.wait_for()
        page.get_by_text("candidates finished").first.wait_for()
        page.wait_for_timeout(8000)
        shoot(page, "search_train")
        page.get_by_text("Training finished.").first.wait_for()

        page.get_by_role("link", name="Open the results").click()
        page.get_by_role("heading", name="Reproduce and export").wait_for()
        settle(page)
        shoot(page, "search_results")
        page.get_by_text("What this model is").click()
        settle(page)
        page.get_by_role("heading", name="Model card").scroll_into_view_if_needed()
        page.set_viewport_size({"width": WIDTH, "height": 1600})
        page.wait_for_timeout(1000)
        page.screenshot(path=str(HERE / "search_card.png"))
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})

        go(page, "Settings")
        page.get_by_text("A Dask cluster").click()
        settle(page)
        fill(page, "Dask scheduler address", "tcp://127.0.0.1:1")
        page.get_by_role("button", name="Test connection").click()
        page.get_by_text("Could not connect").wait_for()
        page.mouse.move(5, 5)
        settle(page)
        shoot(page, "settings")
        browser.close()


if __name__ == "__main__":
    main()
