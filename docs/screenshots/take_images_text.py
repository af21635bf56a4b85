"""Screenshots of the image and text screens, taken in headless Chromium against a fresh, temporary home.

Run from the repository root: ``.venv/bin/python docs/screenshots/take_images_text.py`` (about two
minutes). It uploads a zip of 300 digit images, trains a small ConvNet, then trains a bag of word vectors on
the demo reviews, and writes ``images_data.png``, ``images_model.png``, ``images_results.png``,
``images_predict.png``, ``text_data.png``, ``text_model.png`` and ``text_results.png`` next to this file.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from sklearn import datasets
from take import HEIGHT, TIMEOUT_MS, WIDTH, shoot

from backend.data.samples_images import digits_png
from dashboard.browser import choose, fill, go, settle, upload
from dashboard.launch import CHROMIUM, CHROMIUM_ARGS, running_server

#: Training on a busy machine can take minutes.
TRAIN_TIMEOUT_MS = 480_000


def digits_zip(folder: Path, n: int) -> Path:
    digits = datasets.load_digits()
    path = folder / "digits.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(n):
            archive.writestr(f"digits/{digits.target[i]}/{i:04d}.png", digits_png(digits.images[i]))
        archive.writestr("digits/README.txt", "Handwritten digits, one folder per digit.")
    return path


def train_and_open_results(page: Page, name: str) -> None:
    go(page, "Train")
    fill(page, "Run name", name)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Training finished.").wait_for(timeout=TRAIN_TIMEOUT_MS)
    page.get_by_role("link", name="Open the results").click()
    page.get_by_role("heading", name="Downloads").wait_for()
    settle(page)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="torchwork-shots-"))
    archive = digits_zip(folder, 300)
    digits = datasets.load_digits()
    new_images = []
    for i in range(300, 306):
        path = folder / f"digit_{i}.png"
        path.write_bytes(digits_png(digits.images[i]))
        new_images.append(str(path))
    with running_server(folder / "home") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_text("Ready:").wait_for()
        settle(page)

        page.get_by_text("Upload a file", exact=True).click()
        settle(page)
        upload(page, str(archive))
        page.get_by_text("300 images in 10 classes").wait_for()
        shoot(page, "images_data")

        go(page, "Model")
        fill(page, "Convolution blocks", "8, 16")
        fill(page, "Image size", 16)
        fill(page, "Learning rate", 0.01)
        fill(page, "Epochs", 20)
        fill(page, "Folds", 3)
        page.get_by_text("parameters").first.wait_for()
        shoot(page, "images_model")
        train_and_open_results(page, "digits convnet")
        shoot(page, "images_results")

        go(page, "Predict")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(new_images)
        settle(page)
        page.get_by_text("Predictions for 6 images").wait_for()
        shoot(page, "images_predict")

        go(page, "Data")
        page.get_by_text("Bundled sample", exact=True).click()
        settle(page)
        choose(page, "Sample", "Demo: invented product reviews")
        page.get_by_text("Median length").wait_for()
        shoot(page, "text_data")

        go(page, "Model")
        fill(page, "Epochs", 15)
        fill(page, "Folds", 3)
        page.get_by_text("parameters").first.wait_for()
        shoot(page, "text_model")
        # The bag of word vectors trains in seconds where the recurrent network takes minutes.
        choose(page, "Architecture", "Bag of word vectors (fast)")
        train_and_open_results(page, "reviews bag")
        shoot(page, "text_results")
        browser.close()


if __name__ == "__main__":
    main()
