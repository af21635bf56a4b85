"""Image fit speed: a hand-written PyTorch loop vs Torchwork's net on the same ConvNet and digit-sized images.

Two cases. In memory: 20,000 gray 8x8 images (scikit-learn's digits repeated with noise) as one float32
array, 5 epochs, batch sizes 128 and 32. From disk: 4,000 of them as PNG files, read through ImageLoader's
lazy dataset and a DataLoader with 2 worker processes, against a hand-written Dataset + DataLoader loop
decoding the same files with the same workers, 2 epochs. Contenders take turns (best of ``--rounds``).
Run: ``.venv/bin/python bench/image_speed.py``.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, Dataset

from backend import NeuralNetClassifier
from backend.modules import ConvNet
from backend.preprocess import ImageLoader

N_IMAGES, N_FILES, LR, WORKERS = 20_000, 4_000, 0.01, 2
MODULE = {"in_channels": 1, "out_features": 10, "channels": (16, 32), "batch_norm": True}


def images(n: int) -> tuple[np.ndarray, np.ndarray]:
    digits = load_digits()
    rng = np.random.default_rng(0)
    index = rng.integers(0, len(digits.images), n)
    X = digits.images[index] / 16.0 + rng.normal(0, 0.05, (n, 8, 8))
    return X[:, None].astype(np.float32), digits.target[index].astype(np.int64)


def hand_loop(batches, n_epochs: int) -> None:
    torch.manual_seed(0)
    model, criterion = ConvNet(**MODULE), nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    for _ in range(n_epochs):
        for xb, yb in batches():
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()


def hand_in_memory(X, y, batch_size, epochs):
    X, y = torch.from_numpy(X), torch.from_numpy(y)

    def batches():
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            index = order[start : start + batch_size]
            yield X[index], y[index]

    hand_loop(batches, epochs)


def net(batch_size, epochs, **params):
    return NeuralNetClassifier(
        ConvNet, module__channels=MODULE["channels"], module__batch_norm=True, max_epochs=epochs, lr=LR,
        batch_size=batch_size, train_split=None, verbose=0, random_state=0, device="cpu", **params,
    )


class PngFiles(Dataset):
    """What a person writes by hand: decode, scale to [0, 1], standardise."""

    def __init__(self, paths, labels, mean, std):
        self.paths, self.labels, self.mean, self.std = paths, labels, mean, std

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        pixels = np.asarray(Image.open(self.paths[i]).convert("L"), dtype=np.float32) / 255.0
        return torch.from_numpy((pixels[None] - self.mean) / self.std), self.labels[i]


def write_pngs(X: np.ndarray, folder: Path) -> list[str]:
    paths = []
    for i, image in enumerate(X):
        buffer = io.BytesIO()
        Image.fromarray(np.clip(image[0] * 255, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
        path = folder / f"{i:05d}.png"
        path.write_bytes(buffer.getvalue())
        paths.append(str(path))
    return paths


def best_of(contenders: dict, rounds: int) -> dict[str, float]:
    times = {name: [] for name in contenders}
    for _ in range(rounds):  # take turns so drifting machine load hits everyone alike
        for name, run in contenders.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: min(values) for name, values in times.items()}


def show(title: str, best: dict[str, float], base: str) -> None:
    print(f"\n{title}")
    for name, seconds in best.items():
        print(f"  {name:<34} {seconds:7.3f} s   {seconds / best[base]:5.2f}x the hand-written loop")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed fits per contender (best kept)")
    args = parser.parse_args()
    X, y = images(N_IMAGES)
    print(f"torch threads: {torch.get_num_threads()}")

    for batch_size in (128, 32):
        hand_in_memory(X[:1000], y[:1000], batch_size, 1)  # warm-up
        net(batch_size, 1).fit(X[:1000], y[:1000])
        best = best_of(
            {
                "hand-written loop": lambda b=batch_size: hand_in_memory(X, y, b, 5),
                "torchwork net": lambda b=batch_size: net(b, 5).fit(X, y),
            },
            args.rounds,
        )
        show(f"in memory: {N_IMAGES} x 1x8x8, 5 epochs, batch size {batch_size}", best, "hand-written loop")

    with tempfile.TemporaryDirectory() as folder:
        paths = write_pngs(X[:N_FILES], Path(folder))
        labels = y[:N_FILES]
        loader = ImageLoader(size=8, color="gray", output="dataset").fit(paths)
        mean, std = float(loader.mean_[0]), float(loader.std_[0])

        def hand_from_disk():
            dataset = PngFiles(paths, torch.from_numpy(labels), mean, std)
            hand_loop(lambda: DataLoader(dataset, batch_size=128, shuffle=True, num_workers=WORKERS), 2)

        def net_from_disk():
            lazy = loader.transform(paths)
            net(128, 2, iterator_train__num_workers=WORKERS).fit(lazy, labels)

        def net_in_memory_from_files():
            array = ImageLoader(size=8, color="gray").fit_transform(paths)
            net(128, 2).fit(array, labels)

        best = best_of(
            {
                "hand-written Dataset + DataLoader": hand_from_disk,
                "ImageLoader dataset + torchwork net": net_from_disk,
                "ImageLoader array + torchwork net": net_in_memory_from_files,
            },
            args.rounds,
        )
        show(
            f"from {N_FILES} PNG files: 2 epochs, batch size 128, {WORKERS} loader workers",
            best,
            "hand-written Dataset + DataLoader",
        )


if __name__ == "__main__":
    main()
