"""Images in a real browser: upload a zip of digits, train a small ConvNet with 3-fold CV, use the pickle."""

from __future__ import annotations

import zipfile

import joblib
import numpy as np
import pytest
from playwright.sync_api import sync_playwright
from sklearn import datasets

from backend.data.samples_images import digits_png
from dashboard.browser import fill, go, settle, upload
from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 120_000
N_IMAGES = 150


def write_digits_zip(path, n: int) -> None:
    """``n`` digit images as PNG files in one folder per digit."""
    digits = datasets.load_digits()
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(n):
            archive.writestr(f"digits/{digits.target[i]}/{i:04d}.png", digits_png(digits.images[i]))


def test_upload_a_zip_of_digits_train_a_convnet_and_predict_images_with_the_pickle(tmp_path):
    archive = tmp_path / "digits.zip"
    write_digits_zip(archive, N_IMAGES)
    with running_server(tmp_path / "home") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text("Ready:").wait_for()
        settle(page)

        page.get_by_text("Upload a file", exact=True).click()
        settle(page)
        upload(page, str(archive))
        page.get_by_text(f"{N_IMAGES} images in 10 classes").wait_for()
        page.get_by_text("Ready: predicting label (classification) from images").wait_for()

        go(page, "Model")
        assert page.get_by_text("Random flips", exact=True).is_visible()
        fill(page, "Convolution blocks", "4")
        fill(page, "Image size", 8)
        fill(page, "Patience", 2)
        fill(page, "Epochs", 3)
        fill(page, "Folds", 3)
        page.get_by_text("These settings are valid").wait_for()

        go(page, "Train")
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Training finished.").wait_for()
        page.get_by_role("link", name="Open the results").click()
        page.get_by_role("heading", name="Downloads").wait_for()
        settle(page)
        assert page.get_by_text("3-fold cross-validation").is_visible()
        assert page.get_by_text("Accuracy", exact=True).first.is_visible()

        with page.expect_download() as download:
            page.get_by_role("button", name="Fitted pipeline (.pkl)").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        context.close()
        browser.close()

    pipeline = joblib.load(saved)
    digits = datasets.load_digits()
    paths = []
    for i in range(N_IMAGES, N_IMAGES + 5):
        path = tmp_path / f"new_{i}.png"
        path.write_bytes(digits_png(digits.images[i]))
        paths.append(str(path))
    predicted = pipeline.predict(paths)
    assert len(predicted) == 5 and set(predicted) <= {str(d) for d in range(10)}
    assert np.allclose(pipeline.predict_proba(paths).sum(axis=1), 1.0, atol=1e-5)
