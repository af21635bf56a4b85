"""Screenshots of every dashboard page, taken in headless Chromium against a fresh, temporary home.

Run from the repository root: ``.venv/bin/python docs/screenshots/take.py`` (about two minutes). It trains
two small runs on the breast cancer sample and writes ``data.png``, ``model.png``, ``train.png``,
``results.png``, ``predict.png`` and ``runs.png`` next to this file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from dashboard.browser import fill, go, settle
from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

HERE = Path(__file__).resolve().parent
TIMEOUT_MS = 180_000
WIDTH, HEIGHT = 1440, 1000


def wait_progress(page: Page, text: str) -> None:
    """Wait until the progress bar's label contains ``text`` (it is redrawn every second)."""
    seen = set()
    for _ in range(TIMEOUT_MS // 250):
        shown = page.locator('[data-testid="stProgress"]').all_inner_texts()
        seen.update(shown)
        if any(text in t for t in shown):
            return
        page.wait_for_timeout(250)
    raise TimeoutError(f"the progress bar never showed {text!r}, only {seen}")


def shoot(page: Page, name: str) -> None:
    """Save the whole page: the window grows to the content's height, since Streamlit scrolls inside it."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 120, 5000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(HERE / f"{name}.png"))
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def train(page: Page, hidden: str, name: str) -> None:
    go(page, "Model")
    fill(page, "Hidden layers", hidden)
    go(page, "Train")
    fill(page, "Run name", name)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("heading", name=name, exact=True).wait_for()


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="torchwork-shots-")) / "home"
    with running_server(home) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text("Ready:").wait_for()
        settle(page)
        page.get_by_role("tab", name="Columns").click()
        shoot(page, "data")

        go(page, "Model")
        fill(page, "Epochs", 80)
        fill(page, "Patience", 15)
        fill(page, "Folds", 3)
        page.get_by_text("parameters").first.wait_for()
        shoot(page, "model")

        train(page, "64, 32", "64-32 net")
        wait_progress(page, "Fold 3 of 3")
        shoot(page, "train")
        page.get_by_text("Training finished.").wait_for()

        train(page, "16", "16 net")
        page.get_by_text("Training finished.").wait_for()
        page.get_by_role("link", name="Open the results").click()
        page.get_by_role("heading", name="Downloads").wait_for()
        settle(page)
        shoot(page, "results")

        go(page, "Predict")
        page.get_by_text("Try it on 20 rows").click()
        page.get_by_text("Predictions for the run's first 20 training rows").wait_for()
        settle(page)
        shoot(page, "predict")

        go(page, "Runs")
        for _ in range(2):
            picker = page.locator('[data-testid="stMultiSelect"]').first
            picker.click()
            page.get_by_role("option").first.click()
            page.keyboard.press("Escape")
            settle(page)
        page.get_by_text("Comparing 2 runs").wait_for()
        shoot(page, "runs")
        browser.close()


if __name__ == "__main__":
    main()
