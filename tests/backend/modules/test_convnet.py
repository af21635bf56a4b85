"""ConvNet: output shapes, sizes inferred by the net, training-only augmentation, clear input errors."""

import numpy as np
import pytest
import torch

from backend import NeuralNetClassifier, NeuralNetRegressor
from backend.modules import ConvNet, ImageAugment


@pytest.mark.parametrize(
    ("channels", "size", "pooling"),
    [((8,), 8, "max"), ((4, 8, 16, 32), 8, "max"), ((4, 4), 5, "avg"), ((4, 8), 12, "none"), ((4, 4, 4), 1, "max")],
)
def test_one_output_row_per_image_whatever_the_blocks_and_size(channels, size, pooling):
    module = ConvNet(in_channels=3, out_features=5, channels=channels, pooling=pooling)
    out = module(torch.randn(4, 3, size, size))
    assert out.shape == (4, 5)


def test_the_net_infers_input_channels_and_classes_from_the_images():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3, 8, 8)).astype(np.float32)
    y = np.array(["cat", "dog", "owl"] * 20)
    net = NeuralNetClassifier(ConvNet, module__channels=(4,), max_epochs=1, train_split=None, verbose=0, random_state=0)
    net.fit(X, y)
    assert net.module_.features[0].in_channels == 3
    assert net.module_.head.out_features == 3
    assert net.predict_proba(X).shape == (60, 3)


def test_a_convnet_regressor_fits_gray_images():
    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 6, 6)).astype(np.float32)
    y = X.mean(axis=(1, 2, 3))
    net = NeuralNetRegressor(ConvNet, module__channels=(4,), max_epochs=2, train_split=None, verbose=0, random_state=0)
    assert net.fit(X, y).predict(X).shape == (40,)


def test_augmentation_changes_training_batches_only():
    torch.manual_seed(0)
    x = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).reshape(2, 1, 4, 4).repeat(16, 1, 1, 1)
    augment = ImageAugment(flip=True, rotation=0.0)
    augment.train()
    flipped = augment(x)
    each = [torch.equal(a, b) or torch.equal(a, b.flip(-1)) for a, b in zip(flipped, x, strict=True)]
    assert all(each)
    assert not torch.equal(flipped, x)
    augment.eval()
    assert torch.equal(augment(x), x)


def test_a_convnet_predicts_the_same_with_and_without_augmentation_settings():
    torch.manual_seed(0)
    plain = ConvNet(in_channels=1, out_features=2, channels=(4,))
    torch.manual_seed(0)
    augmented = ConvNet(in_channels=1, out_features=2, channels=(4,), augment_flip=True, augment_rotation=20)
    plain.eval(), augmented.eval()
    x = torch.randn(5, 1, 8, 8)
    assert torch.equal(plain(x), augmented(x))
    augmented.train()
    assert not torch.allclose(plain.train()(x), augmented(x))


def test_rotation_keeps_the_image_shape_and_values_in_range():
    augment = ImageAugment(rotation=30).train()
    x = torch.rand(8, 3, 10, 7)
    out = augment(x)
    assert out.shape == x.shape
    assert out.min() >= 0 and out.max() <= 1


def test_flat_rows_are_refused_with_a_pointer_to_the_image_loader():
    with pytest.raises(ValueError, match="ImageLoader"):
        ConvNet(in_channels=1, out_features=2)(torch.randn(3, 64))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"channels": ()}, "channels"),
        ({"pooling": "median"}, "pooling"),
        ({"dropout": 1.0}, "dropout"),
        ({"augment_rotation": -5}, "rotation"),
    ],
)
def test_bad_settings_are_named(kwargs, words):
    with pytest.raises(ValueError, match=words):
        ConvNet(in_channels=1, out_features=2, **kwargs)
