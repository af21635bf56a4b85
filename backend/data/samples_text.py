"""The bundled text sample: invented product reviews, made up for demonstrations (not real data).

Each review is assembled from a few phrases chosen by a seeded random generator: an opening about a
product, a positive or negative verdict (sometimes negated: "is not bad at all" is positive), and neutral
filler. The label is the verdict's sentiment, so a model must find the verdict among the filler, and a
model that reads word order can tell "not bad" from "bad".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_PRODUCTS = (
    "kettle", "lamp", "backpack", "blender", "headset", "chair", "umbrella", "toaster", "keyboard",
    "jacket", "water bottle", "desk", "speaker", "frying pan", "phone case", "vacuum cleaner",
)
_OPENINGS = (
    "The {p} {v}.", "This {p} {v}.", "My new {p} {v}.", "Honestly, the {p} {v}.", "I think this {p} {v}.",
    "After a month, the {p} {v}.", "The {p} I ordered {v}.",
)
_POSITIVE = (
    "works great", "is excellent", "exceeded my expectations", "is sturdy and well made", "is worth every penny",
    "does exactly what it promises", "is a pleasure to use", "feels solid", "is not bad at all",
    "is not disappointing in any way", "never fails",
)
_NEGATIVE = (
    "stopped working", "is terrible", "broke after a week", "is flimsy and poorly made", "is a waste of money",
    "does not do what it promises", "is a pain to use", "feels cheap", "is not good at all",
    "is not worth the price", "fails all the time",
)
_CLOSINGS_POSITIVE = ("I would buy it again.", "Highly recommended!", "Five stars.", "I love it.", "")
_CLOSINGS_NEGATIVE = ("I would not buy it again.", "Avoid it!", "One star.", "I regret it.", "")
_FILLER = (
    "I bought it for my kitchen.", "It came in a blue box.", "My sister has the same one.",
    "Delivery took three days.", "I use it every morning.", "It was a birthday present.",
    "The manual is in four languages.", "I had seen it in a shop before.", "",
)


def demo_reviews(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """``n`` invented reviews: columns ``review`` (text) and ``sentiment`` (``positive`` / ``negative``).

    Half are positive, in a shuffled order; the same ``n`` and ``seed`` give the same reviews.
    """
    rng = np.random.default_rng(seed)
    labels = np.array(["positive", "negative"] * (n // 2) + ["positive"] * (n % 2))
    rng.shuffle(labels)
    reviews = []
    for label in labels:
        verdicts, closings = (_POSITIVE, _CLOSINGS_POSITIVE) if label == "positive" else (_NEGATIVE, _CLOSINGS_NEGATIVE)
        opening = str(rng.choice(_OPENINGS)).format(p=rng.choice(_PRODUCTS), v=rng.choice(verdicts))
        parts = [str(rng.choice(_FILLER)), opening, str(rng.choice(_FILLER)), str(rng.choice(closings))]
        if rng.random() < 0.5:
            parts[0], parts[1] = parts[1], parts[0]
        reviews.append(" ".join(p for p in parts if p))
    return pd.DataFrame({"review": reviews, "sentiment": labels})
