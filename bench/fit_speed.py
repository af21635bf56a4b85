"""Fit speed: a hand-written PyTorch loop vs skorch vs Torchwork's net on the same MLP and data.

50,000 x 20 float32 rows, 5 epochs, no validation split, verbose off, batch sizes 128 and 32. The three
take turns in one process (best of ``--rounds`` each) and the ratios are printed.
Run: ``.venv/bin/python bench/fit_speed.py`` (skorch comes with the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

N_ROWS, N_FEATURES, EPOCHS, LR = 50_000, 20, 5, 0.01


class BenchMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(N_FEATURES, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.layers(x)


def hand_written(X, y, batch_size):
    torch.manual_seed(0)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    model, criterion = BenchMLP(), nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            index = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = criterion(model(X[index]), y[index])
            loss.backward()
            optimizer.step()


def skorch_net(X, y, batch_size):
    from skorch import NeuralNetRegressor

    torch.manual_seed(0)
    NeuralNetRegressor(
        BenchMLP, max_epochs=EPOCHS, lr=LR, batch_size=batch_size, optimizer=torch.optim.Adam,
        train_split=None, verbose=0, iterator_train__shuffle=True,
    ).fit(X, y)


def torchwork_net(X, y, batch_size):
    from backend import NeuralNetRegressor

    NeuralNetRegressor(
        BenchMLP, max_epochs=EPOCHS, lr=LR, batch_size=batch_size, optimizer=torch.optim.Adam,
        train_split=None, verbose=0, random_state=0, device="cpu",
    ).fit(X, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed fits per contender and batch size (best kept)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 32])
    args = parser.parse_args()

    rng = np.random.RandomState(0)
    X = rng.randn(N_ROWS, N_FEATURES).astype(np.float32)
    y = (X @ rng.randn(N_FEATURES, 1) + rng.randn(N_ROWS, 1) * 0.1).astype(np.float32)
    contenders = {"hand-written loop": hand_written, "skorch": skorch_net, "torchwork": torchwork_net}
    print(f"{N_ROWS} x {N_FEATURES} float32, {EPOCHS} epochs, torch threads: {torch.get_num_threads()}")
    for batch_size in args.batch_sizes:
        for fit in contenders.values():  # warm-up: imports and first-call allocations
            fit(X[:2000], y[:2000], batch_size)
        times = {name: [] for name in contenders}
        for _ in range(args.rounds):  # take turns so drifting machine load hits everyone alike
            for name, fit in contenders.items():
                started = time.perf_counter()
                fit(X, y, batch_size)
                times[name].append(time.perf_counter() - started)
        best = {name: min(values) for name, values in times.items()}
        hand = best["hand-written loop"]
        print(f"\nbatch size {batch_size}")
        for name, seconds in best.items():
            print(f"  {name:<18} {seconds:7.3f} s   {seconds / hand:5.2f}x the hand-written loop")
        print(f"  torchwork is {best['skorch'] / best['torchwork']:.2f}x faster than skorch")


if __name__ == "__main__":
    main()
