"""Screenshots of every dashboard page, taken in headless Chromium against a fresh, temporary home.

Run from the repository root: ``.venv/bin/python docs/screenshots/take.py`` (about two minutes). It trains
two small runs on the breast cancer sample and writes ``data.png``, ``model.png``, ``train.png``,
``results.png``, ``predict.png`` and ``runs.png`` next to this file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

HERE = Path(__file__).resolve().parent
TIMEOUT_MS = 180_000
WIDTH, HEIGHT = 1440, 1000


def settle(page: Page) -> None:
    """Wait until the script has finished its rerun (twice: a rerun may start right after another)."""
    for _ in range(2):
        page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)
        page.wait_for_timeout(400)


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


def go(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=TIMEOUT_MS)
    settle(page)


def set_number(page: Page, label: str, value: int | str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    settle(page)


def shoot(page: Page, name: str) -> None:
    """Save the whole page: the window grows to the content's height, since Streamlit scrolls inside it."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 120, 5000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(HERE / f"{name}.png"))
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def train(page: Page, hidden: str, name: str) -> None:
    go(page, "Model")
    hidden_field = page.get_by_label("Hidden layers", exact=True)
    hidden_field.fill(hidden)
    hidden_field.press("Enter")
    settle(page)
    go(page, "Train")
    field = page.get_by_label("Run name", exact=True)
    field.fill(name)
    field.press("Enter")
    settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=TIMEOUT_MS)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="torchwork-shots-")) / "home"
    with running_server(home) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(url)
        page.get_by_text("Ready:").wait_for(timeout=TIMEOUT_MS)
        settle(page)
        page.get_by_role("tab", name="Columns").click()
        shoot(page, "data")

        go(page, "Model")
        set_number(page, "Epochs", 80)
        set_number(page, "Patience", 15)
        set_number(page, "Folds", 3)
        page.get_by_text("parameters").first.wait_for(timeout=TIMEOUT_MS)
        shoot(page, "model")

        train(page, "64, 32", "64-32 net")
        wait_progress(page, "Fold 3 of 3")
        shoot(page, "train")
        page.get_by_text("Training finished.").wait_for(timeout=TIMEOUT_MS)

        train(page, "16", "16 net")
        page.get_by_text("Training finished.").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("link", name="Open the results").click()
        page.get_by_role("heading", name="Downloads").wait_for(timeout=TIMEOUT_MS)
        settle(page)
        shoot(page, "results")

        go(page, "Predict")
        page.get_by_text("Try it on 20 rows").click()
        page.get_by_text("Predictions for 20 rows").wait_for(timeout=TIMEOUT_MS)
        settle(page)
        shoot(page, "predict")

        go(page, "Runs")
        for _ in range(2):
            picker = page.locator('[data-testid="stMultiSelect"]').first
            picker.click()
            page.get_by_role("option").first.click()
            page.keyboard.press("Escape")
            settle(page)
        page.get_by_text("Comparing 2 runs").wait_for(timeout=TIMEOUT_MS)
        shoot(page, "runs")
        browser.close()


if __name__ == "__main__":
    main()
