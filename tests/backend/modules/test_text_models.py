"""TextRNN and the bag of embeddings: padding never changes a prediction; sizes come from the data."""

import numpy as np
import pytest
import torch

from backend import NeuralNetClassifier
from backend.modules import BagOfEmbeddings, TextRNN

TEXTS = [[5, 9, 3, 7], [4], [8, 8, 2, 6, 9, 3]]


def _padded(rows, width):
    out = torch.zeros((len(rows), width), dtype=torch.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row)
    return out


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rnn_type": "lstm"},
        {"rnn_type": "gru"},
        {"rnn_type": "lstm", "bidirectional": True},
        {"rnn_type": "gru", "num_layers": 2, "bidirectional": True, "dropout": 0.3},
    ],
    ids=["lstm", "gru", "bi-lstm", "2-layer-bi-gru"],
)
def test_text_rnn_predictions_do_not_depend_on_padding(kwargs):
    torch.manual_seed(0)
    model = TextRNN(vocab_size=10, out_features=3, embedding_dim=8, hidden_size=6, **kwargs).eval()
    with torch.no_grad():
        short = model(_padded(TEXTS, 6))
        long = model(_padded(TEXTS, 40))
        alone = torch.cat([model(_padded([text], 6 + i)) for i, text in enumerate(TEXTS)])
    torch.testing.assert_close(short, long, rtol=0, atol=1e-6)
    torch.testing.assert_close(short, alone, rtol=0, atol=1e-6)


def test_the_bag_ignores_padding_and_word_order():
    torch.manual_seed(0)
    model = BagOfEmbeddings(vocab_size=10, out_features=2, embedding_dim=4).eval()
    with torch.no_grad():
        short = model(_padded(TEXTS, 6))
        long = model(_padded(TEXTS, 30))
        reversed_ = model(_padded([text[::-1] for text in TEXTS], 6))
    torch.testing.assert_close(short, long, rtol=0, atol=1e-6)
    torch.testing.assert_close(short, reversed_, rtol=0, atol=1e-6)


@pytest.mark.parametrize("module", [TextRNN, BagOfEmbeddings])
def test_ids_beyond_the_vocabulary_read_as_unknown(module):
    torch.manual_seed(0)
    model = module(vocab_size=10, out_features=2).eval()
    with torch.no_grad():
        assert torch.equal(model(torch.tensor([[4, 57, 0]])), model(torch.tensor([[4, 1, 0]])))


@pytest.mark.parametrize("module", [TextRNN, BagOfEmbeddings])
def test_float_input_is_refused_with_a_pointer_to_the_vectorizer(module):
    with pytest.raises(TypeError, match="TextVectorizer"):
        module(vocab_size=10, out_features=2)(torch.ones((2, 3)))


@pytest.mark.parametrize("module", [TextRNN, BagOfEmbeddings])
def test_the_net_infers_vocabulary_and_classes_and_keeps_ids_integer(module):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 30, size=(50, 7))
    y = rng.choice(["a", "b"], 50)
    net = NeuralNetClassifier(module, max_epochs=1, train_split=None, verbose=0, random_state=0).fit(X, y)
    assert net.module_.vocab_size == X.max() + 1
    assert net.predict(X).shape == (50,)


def test_text_rnn_learns_word_order_the_bag_cannot_see():
    # Label: does token 2 come before token 3? Both appear in every sequence, so only order tells.
    rng = np.random.default_rng(0)
    X = rng.integers(4, 12, size=(300, 6))
    for row in X:
        first, second = rng.choice(6, 2, replace=False)
        row[first], row[second] = 2, 3
    y = (np.argmax(X == 2, axis=1) < np.argmax(X == 3, axis=1)).astype(int)
    params = {"max_epochs": 40, "lr": 0.02, "train_split": None, "verbose": 0, "random_state": 0, "batch_size": 32}
    rnn = NeuralNetClassifier(TextRNN, module__embedding_dim=8, module__hidden_size=16, **params).fit(X, y)
    bag = NeuralNetClassifier(BagOfEmbeddings, module__embedding_dim=8, **params).fit(X, y)
    assert rnn.score(X, y) > 0.9
    assert bag.score(X, y) < 0.75
