"""ImageLoader: paths or bytes in, normalised float32 (N, C, H, W) out; every image mode; bad images named."""

import io
import struct
import zlib

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from sklearn.pipeline import Pipeline

from backend import NeuralNetClassifier
from backend.modules import ConvNet
from backend.preprocess import ImageLoader, ImageReadError
from backend.preprocess import images as images_module
from backend.preprocess.image_dataset import ImageDataset


def _encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _gray(value, size=(6, 4)) -> bytes:
    return _encode(Image.fromarray(np.full(size, value, dtype=np.uint8)))


def _random_gray(n, seed=0, size=(8, 8)) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [_encode(Image.fromarray(rng.integers(0, 256, size, dtype=np.uint8))) for _ in range(n)]


def _write(tmp_path, images: list[bytes]) -> list[str]:
    paths = []
    for i, data in enumerate(images):
        path = tmp_path / f"{i}.png"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_paths_and_bytes_give_the_same_float32_batch(tmp_path):
    images = _random_gray(5)
    from_bytes = ImageLoader(size=(6, 5)).fit_transform(images)
    from_paths = ImageLoader(size=(6, 5)).fit_transform(_write(tmp_path, images))
    assert from_bytes.dtype == np.float32 and from_bytes.shape == (5, 1, 6, 5)
    np.testing.assert_array_equal(from_bytes, from_paths)


def test_a_dataframe_column_a_series_and_an_array_are_all_read():
    images = _random_gray(3)
    frame = pd.DataFrame({"picture": images, "other": [1, 2, 3]})
    loader = ImageLoader(column="picture", size=8).fit(frame)
    expected = loader.transform(frame)
    np.testing.assert_array_equal(loader.transform(frame["picture"]), expected)
    np.testing.assert_array_equal(loader.transform(np.array(images, dtype=object)), expected)
    np.testing.assert_array_equal(loader.transform(frame[["picture"]].to_numpy()), expected)


def test_normalisation_is_learned_on_the_training_images_only():
    train, other = _random_gray(20, seed=1), [_gray(255)] * 4
    loader = ImageLoader(size=8).fit(train)
    X = loader.transform(train)
    assert abs(float(X.mean())) < 1e-5 and abs(float(X.std()) - 1) < 1e-4
    bright = loader.transform(other)
    np.testing.assert_allclose(bright, (1.0 - loader.mean_[0]) / loader.std_[0], rtol=1e-6)
    raw = ImageLoader(size=8, normalize=False).fit_transform(train + other)
    assert raw.min() >= 0 and raw.max() == 1.0


def test_a_blank_set_is_centred_not_blown_up():
    X = ImageLoader(size=4).fit_transform([_gray(7)] * 3)
    np.testing.assert_allclose(X, 0.0, atol=1e-6)


def test_colour_auto_is_gray_only_when_every_image_is_gray():
    gray = [_gray(10), _gray(200)]
    colour = _encode(Image.new("RGB", (4, 4), (255, 0, 0)))
    assert ImageLoader(size=4).fit(gray).n_channels_ == 1
    assert ImageLoader(size=4).fit([*gray, colour]).n_channels_ == 3
    rgb = ImageLoader(size=4, color="rgb", normalize=False).fit_transform(gray)
    assert rgb.shape == (2, 3, 4, 4) and np.all(rgb[:, 0] == rgb[:, 2])
    one = ImageLoader(size=4, color="gray", normalize=False).fit_transform([colour])
    assert one.shape == (1, 1, 4, 4) and 0.2 < one.max() < 0.4  # red's luminance


def _modes() -> dict[str, tuple[bytes, list[float]]]:
    """Images of every awkward kind, and the [0, 1] RGB value each should read as."""
    transparent = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    palette_alpha = Image.new("P", (4, 4), 0)
    palette_alpha.putpalette([0, 0, 255] + [0] * 765)
    return {
        "rgba-transparent": (_encode(transparent), [1, 1, 1]),
        "rgba-opaque": (_encode(Image.new("RGBA", (4, 4), (0, 0, 255, 255))), [0, 0, 1]),
        "la": (_encode(Image.new("LA", (4, 4), (0, 0))), [1, 1, 1]),
        "palette": (_encode(palette), [0, 1, 0]),
        "palette-transparent": (_encode(palette_alpha, transparency=0), [1, 1, 1]),
        "16-bit": (_encode(Image.fromarray(np.full((4, 4), 65535, dtype=np.uint16))), [1, 1, 1]),
        "16-bit-dark": (_encode(Image.fromarray(np.full((4, 4), 0, dtype=np.uint16))), [0, 0, 0]),
        "cmyk": (_encode(Image.new("CMYK", (4, 4), (0, 0, 0, 0)), "JPEG", quality=100), [1, 1, 1]),
        "bilevel": (_encode(Image.new("1", (4, 4), 1)), [1, 1, 1]),
        "gif": (_encode(Image.new("RGB", (4, 4), (255, 0, 0)), "GIF"), [1, 0, 0]),
        "bmp": (_encode(Image.new("RGB", (4, 4), (0, 255, 0)), "BMP"), [0, 1, 0]),
        "tiff": (_encode(Image.new("RGB", (4, 4), (0, 0, 255)), "TIFF"), [0, 0, 1]),
    }


@pytest.mark.parametrize("kind", list(_modes()))
def test_every_image_mode_is_converted_to_rgb_pixels(kind):
    data, expected = _modes()[kind]
    X = ImageLoader(size=4, color="rgb", normalize=False).fit_transform([data])
    assert X.shape == (1, 3, 4, 4) and X.dtype == np.float32
    np.testing.assert_allclose(X[0].mean(axis=(1, 2)), expected, atol=0.02)


def test_large_images_are_resized(tmp_path):
    big = _encode(Image.new("RGB", (300, 200), (10, 20, 30)), "JPEG")
    X = ImageLoader(size=(16, 24), normalize=False).fit_transform([big])
    assert X.shape == (1, 3, 16, 24)


def test_every_unreadable_image_is_named_in_one_error(tmp_path):
    good = _random_gray(1)[0]
    cut = tmp_path / "cut.png"
    cut.write_bytes(good[: len(good) // 2])
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    sources = [good, str(cut), str(text), str(tmp_path / "gone.png"), b"\x00garbage", None]
    with pytest.raises(ImageReadError) as caught:
        ImageLoader(size=4).fit(sources)
    failures = caught.value.failures
    assert set(failures) == {str(cut), str(text), str(tmp_path / "gone.png"), "row 4", "row 5"}
    assert "file not found" in failures[str(tmp_path / "gone.png")]
    assert "missing" in failures["row 5"]
    assert isinstance(caught.value, ValueError) and "cut.png" in str(caught.value)


def _pixel_bomb() -> bytes:
    """A small PNG whose header claims 100,000 x 100,000 pixels."""
    data = bytearray(_gray(0, size=(2, 2)))
    header = b"IHDR" + struct.pack(">II", 100_000, 100_000) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


@pytest.mark.parametrize("color", ["auto", "gray"])
def test_an_image_claiming_billions_of_pixels_is_refused_by_name(color):
    with pytest.raises(ImageReadError, match="row 1 \\(too many pixels to decode safely\\)"):
        ImageLoader(size=4, color=color).fit([_gray(0), _pixel_bomb()])


def test_bad_images_at_prediction_are_named_too():
    loader = ImageLoader(size=4).fit(_random_gray(3))
    with pytest.raises(ImageReadError, match="row 1"):
        loader.transform(pd.Series([_random_gray(1)[0], b"nope"]))


def test_bytes_in_a_series_indexed_by_file_name_are_named_by_their_file(tmp_path):
    loader = ImageLoader(size=4).fit(_random_gray(3))
    uploads = pd.Series([_random_gray(1)[0], b"nope"], index=["cat.png", "dog.png"])
    with pytest.raises(ImageReadError, match="^1 image could not be read: dog.png \\(not an image") as caught:
        loader.transform(uploads)
    assert set(caught.value.failures) == {"dog.png"}
    # A table indexed by file name names them the same way; a path is still named by itself.
    table = pd.DataFrame({"image": [b"nope", str(tmp_path / "gone.png")]}, index=["a.png", "b.png"])
    with pytest.raises(ImageReadError) as caught:
        ImageLoader(size=4, column="image").fit(table)
    assert set(caught.value.failures) == {"a.png", str(tmp_path / "gone.png")}


def test_a_fitted_image_pipeline_names_bad_uploads_by_file_name_after_loading(tmp_path):
    X = _random_gray(12)
    y = np.array([0, 1] * 6)
    pipeline = Pipeline(
        [
            ("preprocess", ImageLoader(size=4)),
            ("net", NeuralNetClassifier(ConvNet, module__channels=(2,), max_epochs=1, train_split=None, verbose=0, device="cpu")),
        ]
    ).fit(X, y)
    joblib.dump(pipeline, tmp_path / "model.pkl")
    loaded = joblib.load(tmp_path / "model.pkl")
    with pytest.raises(ImageReadError, match="could not be read: broken.jpg"):
        loaded.predict(pd.Series([X[0], b"\xff\xd8 not a jpeg"], index=["fine.png", "broken.jpg"]))


def test_a_single_image_or_a_wide_table_is_refused_clearly():
    loader = ImageLoader(size=4).fit(_random_gray(2))
    with pytest.raises(TypeError, match="list of images"):
        loader.transform(_random_gray(1)[0])
    with pytest.raises(ValueError, match="column="):
        loader.transform(pd.DataFrame({"a": _random_gray(2), "b": _random_gray(2)}))


def test_the_lazy_dataset_yields_what_the_array_holds(tmp_path):
    paths = _write(tmp_path, _random_gray(6, seed=3))
    array = ImageLoader(size=8, output="array").fit_transform(paths)
    lazy_loader = ImageLoader(size=8, output="dataset")
    dataset = lazy_loader.fit_transform(paths)
    assert isinstance(dataset, ImageDataset) and dataset.shape == array.shape and len(dataset) == 6
    for i in range(6):
        np.testing.assert_allclose(dataset[i].numpy(), array[i], atol=1e-5)


def test_output_auto_switches_to_the_lazy_dataset_above_the_memory_limit(monkeypatch):
    images = _random_gray(4)
    assert isinstance(ImageLoader(size=8).fit_transform(images), np.ndarray)
    monkeypatch.setattr(images_module, "IN_MEMORY_LIMIT", 4 * 8 * 8 * 4 - 1)
    assert isinstance(ImageLoader(size=8).fit_transform(images), ImageDataset)


def test_a_net_trains_on_the_lazy_dataset_through_dataloader_workers(tmp_path):
    paths = _write(tmp_path, _random_gray(24, seed=4))
    y = np.array([0, 1] * 12)
    loader = ImageLoader(size=8, output="dataset").fit(paths)
    dataset = loader.transform(paths)
    net = NeuralNetClassifier(
        ConvNet, module__channels=(4,), max_epochs=2, batch_size=8, verbose=0, random_state=0, device="cpu",
        iterator_train__num_workers=2, iterator_valid__num_workers=2,
    ).fit(dataset, y)
    assert len(net.history) == 2 and net.module_.features[0].in_channels == 1
    from_disk = net.predict_proba(dataset)
    in_memory = net.predict_proba(loader.set_params(output="array").transform(paths))
    np.testing.assert_allclose(from_disk, in_memory, atol=1e-5)


def test_a_corrupt_image_read_lazily_is_named(tmp_path):
    paths = _write(tmp_path, _random_gray(2))
    dataset = ImageLoader(size=4, output="dataset").fit(paths).transform(paths)
    (tmp_path / "1.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ImageReadError, match="1.png"):
        dataset[1]


def test_a_fitted_loader_survives_joblib_and_keeps_its_statistics(tmp_path):
    images = _random_gray(4)
    loader = ImageLoader(size=5, color="rgb").fit(images)
    joblib.dump(loader, tmp_path / "loader.pkl")
    loaded = joblib.load(tmp_path / "loader.pkl")
    np.testing.assert_array_equal(loaded.transform(images), loader.transform(images))
    assert loaded.n_channels_ == 3 and loaded.size_ == (5, 5)


def test_bad_settings_are_named_when_fitting():
    with pytest.raises(ValueError, match="color"):
        ImageLoader(color="sepia").fit(_random_gray(1))
    with pytest.raises(ValueError, match="size"):
        ImageLoader(size=(0, 4)).fit(_random_gray(1))


def test_dataset_items_are_float32_tensors():
    item = ImageLoader(size=4, output="dataset").fit_transform(_random_gray(2))[0]
    assert isinstance(item, torch.Tensor) and item.dtype == torch.float32 and item.shape == (1, 4, 4)
