"""A hyperparameter search in a real browser: the form, the live leaderboard, the results, the best pipeline."""

from __future__ import annotations

import joblib
import pytest
from playwright.sync_api import Page, sync_playwright

from backend.data import load_sample
from dashboard.browser import fill, go, settle
from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 120_000


def pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox labelled ``label`` by typing it, as a keyboard user would."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).locator("input").click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).wait_for()
    page.keyboard.press("Enter")
    settle(page)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e-search") / "home"
    with running_server(home) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text("Ready:").wait_for()
        settle(page)
        yield page
        browser.close()


def test_a_two_by_two_grid_search_ranks_candidates_and_its_best_pipeline_predicts(page: Page, tmp_path):
    go(page, "Model")
    fill(page, "Epochs", 3)
    fill(page, "Patience", 2)
    pick(page, "Search", "grid")
    fill(page, "Search folds", 2)
    fill(page, "Learning rate to try", "0.01, 0.05")
    page.get_by_text("2 candidates × 2 folds = 4 fits").wait_for()

    go(page, "Train")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("heading", name="Leaderboard").wait_for()
    # The last poll and the page's final redraw may both be on screen for a moment.
    page.get_by_text("Training finished.").first.wait_for()
    page.get_by_text("2 of 2 candidates finished").first.wait_for()

    page.get_by_role("link", name="Open the results").click()
    page.get_by_role("heading", name="Hyperparameter search").wait_for()
    page.get_by_role("heading", name="Downloads").wait_for()
    settle(page)
    assert page.get_by_text("Best: candidate").is_visible()
    assert page.locator('[data-testid="stDataFrame"]').first.is_visible()
    # Plotly draws a parallel-coordinates plot as an SVG group of this class.
    page.locator(".parcoords").first.wait_for(state="attached")

    with page.expect_download() as download:
        page.get_by_role("button", name="Fitted pipeline (.pkl)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    frame = load_sample("breast_cancer")
    target = frame.columns[-1]
    rows = frame.drop(columns=[target]).head(10)
    predicted = joblib.load(saved).predict(rows)
    assert len(predicted) == 10 and set(predicted) <= set(frame[target])
