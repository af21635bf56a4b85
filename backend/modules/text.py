"""Text models over padded int64 token ids: a recurrent network (TextRNN) and a bag of embeddings.

Both read what :class:`backend.preprocess.TextVectorizer` produces: one row of token ids per text, padded
on the right with id 0. Padding never changes a prediction: TextRNN packs each sequence to its length, the
bag leaves padding out of its mean. An id at or above ``vocab_size`` (never seen in training) reads as the
unknown-token id.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

PADDING_ID = 0
UNKNOWN_ID = 1
RNN_TYPES = ("lstm", "gru")


def _sizes_given(name: str, vocab_size: int | None, out_features: int | None) -> None:
    if vocab_size is None or out_features is None:
        raise ValueError(
            f"{name} needs vocab_size and out_features; wrap it in a NeuralNet, which fills them from the data, "
            "or pass them explicitly."
        )
    if int(vocab_size) < 2:
        raise ValueError(f"vocab_size must be at least 2 (padding and unknown ids), got {vocab_size}.")


def _known_ids(x: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Token ids with those outside the vocabulary replaced by the unknown id."""
    if x.is_floating_point():
        raise TypeError(
            f"Text models take integer token ids, got a {x.dtype} tensor. Map texts to ids with "
            "backend.preprocess.TextVectorizer."
        )
    return torch.where(x < vocab_size, x, torch.full_like(x, UNKNOWN_ID))


class TextRNN(nn.Module):
    """Embedding, a (bi)directional LSTM or GRU over each text's real tokens, and a linear head.

    The head reads the last layer's final hidden state (both directions when bidirectional).

    Parameters
    ----------
    vocab_size : int, optional
        Number of token ids (padding and unknown included). Left ``None``, the net sets it from the data.
    out_features : int, optional
        Number of outputs. Left ``None``, the net sets it (the number of classes for a classifier).
    embedding_dim : int
        Size of each token's vector.
    hidden_size : int
        Units of the recurrent layer (per direction).
    rnn_type : {"lstm", "gru"}
    num_layers : int
        Stacked recurrent layers.
    bidirectional : bool
        Read each text both ways.
    dropout : float
        Dropout on the embeddings, between recurrent layers and before the head.
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        out_features: int | None = None,
        embedding_dim: int = 64,
        hidden_size: int = 64,
        rnn_type: str = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        _sizes_given("TextRNN", vocab_size, out_features)
        if rnn_type not in RNN_TYPES:
            raise ValueError(f"rnn_type must be one of {', '.join(RNN_TYPES)}, got {rnn_type!r}.")
        if int(num_layers) < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.vocab_size = int(vocab_size)
        self.embedding = nn.Embedding(self.vocab_size, int(embedding_dim), padding_idx=PADDING_ID)
        rnn_class = nn.LSTM if rnn_type == "lstm" else nn.GRU
        self.rnn = rnn_class(
            int(embedding_dim),
            int(hidden_size),
            num_layers=int(num_layers),
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.directions = 2 if bidirectional else 1
        self.head = nn.Linear(int(hidden_size) * self.directions, int(out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _known_ids(x, self.vocab_size)
        # Right padding: a text's length is its number of non-padding ids (an empty text reads one pad).
        lengths = (x != PADDING_ID).sum(dim=1).clamp(min=1)
        embedded = self.dropout(self.embedding(x))
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(packed)
        if isinstance(hidden, tuple):  # LSTM: (h, c)
            hidden = hidden[0]
        # hidden: (layers * directions, batch, hidden_size); keep the last layer's directions.
        last = hidden[-self.directions :].transpose(0, 1).reshape(x.shape[0], -1)
        return self.head(self.dropout(last))


class BagOfEmbeddings(nn.Module):
    """The mean of a text's token embeddings (``EmbeddingBag``) and a linear head: fast on large text sets.

    Word order is ignored, which makes it much cheaper than :class:`TextRNN`.

    Parameters
    ----------
    vocab_size : int, optional
        Number of token ids (padding and unknown included). Left ``None``, the net sets it from the data.
    out_features : int, optional
        Number of outputs. Left ``None``, the net sets it (the number of classes for a classifier).
    embedding_dim : int
        Size of each token's vector.
    dropout : float
        Dropout before the head.
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        out_features: int | None = None,
        embedding_dim: int = 64,
        dropout: float = 0.0,
    ):
        super().__init__()
        _sizes_given("BagOfEmbeddings", vocab_size, out_features)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.vocab_size = int(vocab_size)
        self.bag = nn.EmbeddingBag(self.vocab_size, int(embedding_dim), mode="mean", padding_idx=PADDING_ID)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.head = nn.Linear(int(embedding_dim), int(out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.bag(_known_ids(x, self.vocab_size))))
