"""Text fit speed: hand-written PyTorch loops vs Torchwork's net for TextRNN and the bag of embeddings.

20,000 invented reviews (``backend.data.samples_text.demo_reviews``) are vectorised once with
TextVectorizer (timed too), then each model trains 3 epochs with batch size 128 by a hand-written loop and
by Torchwork's net, taking turns (best of ``--rounds``). The hand-written loops use the same modules, so
the ratio is the cost of the wrapper.
Run: ``.venv/bin/python bench/text_speed.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from backend import NeuralNetClassifier
from backend.data.samples_text import demo_reviews
from backend.modules import BagOfEmbeddings, TextRNN
from backend.preprocess import TextVectorizer

N_TEXTS, EPOCHS, BATCH, LR = 20_000, 3, 128, 0.01
MODELS = {
    "TextRNN (LSTM 64)": (TextRNN, {"embedding_dim": 64, "hidden_size": 64}),
    "bag of embeddings": (BagOfEmbeddings, {"embedding_dim": 64}),
}


def hand_written(module_class, kwargs, X, y, vocab_size):
    torch.manual_seed(0)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    model = module_class(vocab_size=vocab_size, out_features=2, **kwargs)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(X))
        for start in range(0, len(X), BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = criterion(model(X[index]), y[index])
            loss.backward()
            optimizer.step()


def torchwork(module_class, kwargs, X, labels):
    params = {f"module__{k}": v for k, v in kwargs.items()}
    return NeuralNetClassifier(
        module_class, max_epochs=EPOCHS, lr=LR, batch_size=BATCH, train_split=None, verbose=0, random_state=0,
        device="cpu", **params,
    ).fit(X, labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed fits per contender (best kept)")
    args = parser.parse_args()
    frame = demo_reviews(N_TEXTS, seed=1)
    started = time.perf_counter()
    vectorizer = TextVectorizer(max_length=64)
    X = vectorizer.fit_transform(frame["review"])
    print(
        f"{N_TEXTS} texts vectorised in {time.perf_counter() - started:.2f} s: {vectorizer.vocabulary_size_} ids, "
        f"length {vectorizer.sequence_length_}; torch threads: {torch.get_num_threads()}"
    )
    labels = frame["sentiment"].to_numpy()
    y = (labels == "positive").astype(np.int64)
    for title, (module_class, kwargs) in MODELS.items():
        hand_written(module_class, kwargs, X[:500], y[:500], vectorizer.vocabulary_size_)  # warm-up
        torchwork(module_class, kwargs, X[:500], labels[:500])
        times = {"hand-written loop": [], "torchwork net": []}
        for _ in range(args.rounds):
            for name in times:
                started = time.perf_counter()
                if name == "hand-written loop":
                    hand_written(module_class, kwargs, X, y, vectorizer.vocabulary_size_)
                else:
                    net = torchwork(module_class, kwargs, X, labels)
                times[name].append(time.perf_counter() - started)
        best = {name: min(values) for name, values in times.items()}
        print(f"\n{title}: {EPOCHS} epochs, batch size {BATCH} (training accuracy {net.score(X, labels):.3f})")
        for name, seconds in best.items():
            print(f"  {name:<18} {seconds:7.3f} s   {seconds / best['hand-written loop']:5.2f}x the hand-written loop")


if __name__ == "__main__":
    main()
