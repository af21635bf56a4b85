"""Images and text in the dashboard: zip and text uploads, their settings, the gallery of mistakes, predictions."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sklearn import datasets

from backend.data.samples_images import digits_png, load_digits_images
from backend.data.samples_text import demo_reviews
from backend.runs import JobRunner, RunStore
from backend.spec import ExperimentSpec
from tests.dashboard.conftest import wait_for


def digits_zip(n: int = 60, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip of ``n`` digit images, one folder per digit, plus any ``extra`` members."""
    digits = datasets.load_digits()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(n):
            archive.writestr(f"digits/{digits.target[i]}/{i}.png", digits_png(digits.images[i]))
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def reviews_csv(n: int = 80) -> bytes:
    frame = demo_reviews(n).rename(columns={"review": "comment", "sentiment": "verdict"})
    frame.insert(0, "stars_seen", range(n))
    return frame.to_csv(index=False).encode()


def tiny_media_spec(target: str, modality: str, architecture: str) -> ExperimentSpec:
    spec = ExperimentSpec.for_target(target)
    spec.data.modality = modality
    spec.data.image_size = 8
    spec.data.loader_workers = 0
    spec.model.architecture = architecture
    spec.model.conv_channels = (4,)
    spec.model.embedding_dim = 8
    spec.training.max_epochs = 2
    spec.training.early_stopping = False
    spec.evaluation.folds = 2
    return spec


@pytest.fixture(scope="module")
def media_home(tmp_path_factory) -> Path:
    """A home with two finished runs: ``images`` (a ConvNet on 120 digits) and ``text`` (a bag model on
    100 demo reviews), trained through the real store and worker processes."""
    home = tmp_path_factory.mktemp("media") / "home"
    store = RunStore(home)
    plans = {
        "images": (load_digits_images(home).head(120), "digit", "images", "convnet"),
        "text": (demo_reviews(100), "sentiment", "text", "bag"),
    }
    runs = {}
    with JobRunner(store, max_concurrent=2) as runner:
        for key, (frame, target, modality, architecture) in plans.items():
            spec = tiny_media_spec(target, modality, architecture)
            runs[key] = store.create_run(
                spec.to_dict(), frame, name=f"tiny {key}", dataset=key, target=target, task="classification"
            )
            runner.submit(runs[key])
        for run_id in runs.values():
            assert wait_for(store, run_id)["status"] == "succeeded", store.get_run(run_id)["error"]
    (home / "runs.json").write_text(json.dumps(runs))
    return home


@pytest.fixture
def media_runs(media_home, monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("TORCHWORK_HOME", str(media_home))
    return json.loads((media_home / "runs.json").read_text())


def upload_on_data_page(app, name: str, content: bytes, mime: str):
    app.radio(key="w.data.source").set_value("Upload a file").run()
    app.get("file_uploader")[0].set_value((name, content, mime))
    return app.run()


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_a_zip_of_class_folders_shows_class_counts_and_thumbnails(app):
    at = upload_on_data_page(app, "digits.zip", digits_zip(100, {"digits/readme.txt": b"hello"}), "application/zip")
    assert not at.exception
    assert not at.error, texts(at.error)
    data = at.session_state["tw.spec"]["data"]
    assert (data["modality"], data["target"], data["task"]) == ("images", "label", "classification")
    assert at.session_state["tw.spec"]["model"]["architecture"] == "convnet"
    assert "100 images in 10 classes" in texts(at.caption)
    assert "1 file that is not an image was skipped" in texts(at.info)
    counts = at.dataframe[0].value
    assert counts["images"].sum() == 100 and len(counts) == 10
    # One row of thumbnails per class.
    assert len(at.image) == 10
    assert "Ready: predicting `label`" in texts(at.success)


def test_a_corrupt_image_in_an_uploaded_zip_is_named_with_its_reason_and_left_out(app):
    good = digits_png(datasets.load_digits().images[0])
    extra = {"digits/3/cut.png": good[: len(good) // 2], "digits/5/text.png": b"not an image at all"}
    at = upload_on_data_page(app, "digits.zip", digits_zip(100, extra), "application/zip")
    assert not at.exception
    assert not at.error, texts(at.error)
    warning = texts(at.warning)
    assert "2 images could not be read and were left out" in warning
    assert "`digits/3/cut.png` (damaged image" in warning
    assert "`digits/5/text.png` (not an image file" in warning
    assert "100 images in 10 classes" in texts(at.caption)
    assert "Ready: predicting `label`" in texts(at.success)


def test_a_zip_with_a_csv_of_paths_and_labels_is_read_by_its_csv(app):
    digits = datasets.load_digits()
    buffer = io.BytesIO()
    rows = ["path,label"]
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(30):
            archive.writestr(f"set/pictures/img{i:02d}.png", digits_png(digits.images[i]))
            rows.append(f"pictures/img{i:02d}.png,{'even' if digits.target[i] % 2 == 0 else 'odd'}")
        rows.append("pictures/gone.png,odd")
        archive.writestr("set/labels.csv", "\n".join(rows) + "\n")
    at = upload_on_data_page(app, "listed.zip", buffer.getvalue(), "application/zip")
    assert not at.exception
    assert not at.error, texts(at.error)
    data = at.session_state["tw.spec"]["data"]
    assert (data["modality"], data["target"], data["task"]) == ("images", "label", "classification")
    captions = texts(at.caption)
    assert "Labels read from labels from the CSV in the zip." in captions
    assert "30 images in 2 classes" in captions
    counts = at.dataframe[0].value
    assert counts["class"].tolist() == ["even", "odd"] and counts["images"].sum() == 30
    assert "`pictures/gone.png` (listed in set/labels.csv but not an image in the zip)" in texts(at.warning)
    assert len(at.image) == 2


def test_an_unsafe_zip_is_refused_with_a_clear_message_and_nothing_is_written(app, tmp_path):
    at = upload_on_data_page(app, "evil.zip", digits_zip(20, {"../../escaped.png": b"x"}), "application/zip")
    assert not at.exception
    message = texts(at.error)
    assert "Could not use evil.zip" in message and "refused" in message and "'..'" in message
    assert not list(tmp_path.parent.rglob("escaped.png"))
    assert at.session_state["tw.spec"]["data"]["modality"] == "table"


def test_a_table_with_a_text_column_shows_length_statistics_and_frequent_words(app):
    at = upload_on_data_page(app, "reviews.csv", reviews_csv(), "text/csv")
    assert not at.exception
    assert not at.error, texts(at.error)
    data = at.session_state["tw.spec"]["data"]
    assert (data["modality"], data["input_column"], data["target"]) == ("text", "comment", "verdict")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Texts"] == "80" and metrics["Empty texts"] == "0"
    assert not [m for m in at.multiselect if m.key == "w.data.exclude"]
    assert at.session_state["tw.spec"]["model"]["architecture"] == "textrnn"
    # The user can still learn from the whole table instead.
    at.radio(key="w.data.modality").set_value("table").run()
    assert at.session_state["tw.spec"]["data"]["modality"] == "table"
    assert at.session_state["tw.spec"]["model"]["architecture"] == "mlp"


def test_bundled_digits_and_demo_texts_are_selectable_and_the_demo_is_labelled(app):
    sample = app.selectbox(key="w.data.sample")
    assert "Demo: invented product reviews" in sample.options
    at = sample.set_value("demo_reviews").run()
    assert "not real data" in texts(at.caption)
    at = at.selectbox(key="w.data.sample").set_value("digits").run()
    assert at.session_state["tw.spec"]["data"]["modality"] == "images"
    assert len(at.image) == 10


def model_widget_keys(at) -> set[str]:
    return {w.key for kind in ("number_input", "toggle", "selectbox", "text_input") for w in getattr(at, kind)}


def test_the_model_page_shows_the_settings_of_each_kind_of_data_and_architecture(app):
    at = app.selectbox(key="w.data.sample").set_value("digits").run().switch_page("views/model.py").run()
    keys = model_widget_keys(at)
    assert {"w.model.conv_channels", "w.model.augment_flip", "w.model.augment_rotation", "w.data.image_size"} <= keys
    assert not {"w.model.hidden_units", "w.model.rnn_units", "w.data.numeric_scaler"} & keys
    assert at.selectbox(key="w.model.architecture").options == ["ConvNet (convolutional network)"]
    flip = at.toggle(key="w.model.augment_flip")
    assert "never at prediction" in flip.help
    at = at.switch_page("views/data.py").run()
    at = at.selectbox(key="w.data.sample").set_value("demo_reviews").run().switch_page("views/model.py").run()
    keys = model_widget_keys(at)
    assert {"w.model.rnn_units", "w.model.embedding_dim", "w.data.max_tokens"} <= keys
    assert not {"w.model.conv_channels", "w.data.image_size"} & keys
    at = at.selectbox(key="w.model.architecture").set_value("bag").run()
    keys = model_widget_keys(at)
    assert "w.model.embedding_dim" in keys and "w.model.rnn_units" not in keys
    assert not at.error, texts(at.error)
    assert "parameters" in texts(at.markdown)


def test_results_show_misclassified_images_and_texts_from_out_of_fold_predictions(media_runs, open_page):
    at = open_page("results", run=media_runs["images"])
    assert not at.exception
    assert "Misclassified out-of-fold" in [h.value for h in at.subheader]
    assert "ConvNet 4 relu · 2-fold CV" in texts(at.caption)
    assert "a list of image file paths or image bytes" in texts(at.caption)
    # Two epochs of a tiny net get many digits wrong: the gallery shows them with what was predicted.
    assert at.image and "predicted" in texts(at.caption)
    at = open_page("results", run=media_runs["text"])
    assert not at.exception
    assert "Bag 8 · 2-fold CV" in texts(at.caption)
    gallery = [d.value for d in at.dataframe if "text" in d.value.columns]
    assert gallery and set(gallery[0].columns) == {"text", "true", "predicted", "confidence"}


def test_predict_reads_uploaded_images_and_a_zip(media_runs, open_page):
    at = open_page("predict", run=media_runs["images"])
    digits = datasets.load_digits()
    files = [(f"{i}.png", digits_png(digits.images[i]), "image/png") for i in range(3)]
    files.append(("more.zip", digits_zip(4), "application/zip"))
    at.get("file_uploader")[0].set_value(files)
    at = at.run()
    assert not at.exception and not at.error, texts(at.error)
    predicted = at.dataframe[-1].value
    assert len(predicted) == 7
    assert predicted["image"].tolist()[:3] == ["0.png", "1.png", "2.png"]
    proba = predicted[[f"proba_{d}" for d in range(10)]]
    assert ((proba.sum(axis=1) - 1).abs() < 1e-4).all()
    assert at.get("download_button")
    # The three image files are shown with what was predicted for each.
    assert len(at.image) == 3 and "0.png: **" in texts(at.caption)


def test_predict_names_each_unreadable_upload_with_its_reason_and_predicts_the_rest(media_runs, open_page):
    at = open_page("predict", run=media_runs["images"])
    digits = datasets.load_digits()
    good = digits_png(digits.images[0])
    files = [
        ("0.png", good, "image/png"),
        ("cut.png", good[: len(good) // 2], "image/png"),
        ("more.zip", digits_zip(3, {"digits/9/bad.png": b"not an image at all", "notes.txt": b"hi"}), "application/zip"),
    ]
    at.get("file_uploader")[0].set_value(files)
    at = at.run()
    assert not at.exception and not at.error, texts(at.error)
    warning = texts(at.warning)
    assert "2 images could not be read and were left out" in warning
    assert "`cut.png` (damaged image" in warning
    assert "`more.zip/digits/9/bad.png` (not an image file" in warning
    assert "row " not in warning
    assert "1 file that is not an image was skipped, such as `more.zip/notes.txt`" in texts(at.info)
    predicted = at.dataframe[-1].value
    assert predicted["image"].tolist() == ["0.png", "digits/0/0.png", "digits/1/1.png", "digits/2/2.png"]


def test_predict_refuses_uploads_that_are_all_unreadable_naming_them(media_runs, open_page):
    at = open_page("predict", run=media_runs["images"])
    at.get("file_uploader")[0].set_value([("a.png", b"nope", "image/png"), ("b.jpg", b"nada", "image/jpeg")])
    at = at.run()
    assert not at.exception
    message = texts(at.error)
    assert "None of the uploaded images could be read: a.png (not an image file" in message
    assert "b.jpg (not an image file" in message
    assert not at.get("download_button")


def test_predict_reads_a_table_of_texts(media_runs, open_page):
    at = open_page("predict", run=media_runs["text"])
    rows = pd.DataFrame({"id": [1, 2], "review": ["The lamp is excellent. Five stars.", "It broke after a week."]})
    at.get("file_uploader")[0].set_value(("new.csv", rows.to_csv(index=False).encode(), "text/csv"))
    at = at.run()
    assert not at.exception and not at.error, texts(at.error)
    assert at.selectbox(key="w.predict.text_column").value == "review"
    predicted = at.dataframe[-1].value
    assert list(predicted.columns[:4]) == ["prediction", "confidence", "proba_negative", "proba_positive"]
    assert set(predicted["prediction"]) <= {"positive", "negative"} and len(predicted) == 2
