"""Export-ready stand-ins for networks whose forward pass torch.export cannot trace, computing the same outputs.

A module class can provide its own stand-in with an ``export_module()`` method returning an equivalent
module; otherwise :func:`exportable` looks in :data:`ADAPTERS`. TextRNN needs one: it packs each text to
its length (``pack_padded_sequence``), which torch.export does not support.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def exportable(module: nn.Module) -> nn.Module:
    """``module`` itself, or an equivalent module that torch.export can trace."""
    own = getattr(module, "export_module", None)
    if callable(own):
        return own()
    for cls, adapter in adapters().items():
        if type(module) is cls:
            return adapter(module)
    return module


def adapters() -> dict[type, Callable[[nn.Module], nn.Module]]:
    """Module class -> function building its export-ready stand-in."""
    from backend.modules import TextRNN

    return {TextRNN: UnpackedTextRNN}


class UnpackedTextRNN(nn.Module):
    """A fitted TextRNN's forward pass without packed sequences, for export; the same outputs.

    Each direction of each recurrent layer runs over the padded ids on its own and is read at the text's
    last real token, which is what packing computes: the forward direction's state after token
    ``length - 1``, and the backward direction's after token 0, found by running it over each text
    reversed within its length. Padding after a text never reaches either.
    """

    def __init__(self, text_rnn: nn.Module):
        super().__init__()
        from backend.modules.text import PADDING_ID, UNKNOWN_ID

        self.padding_id, self.unknown_id = PADDING_ID, UNKNOWN_ID
        self.vocab_size = text_rnn.vocab_size
        self.embedding = text_rnn.embedding
        self.dropout = text_rnn.dropout
        self.head = text_rnn.head
        rnn = text_rnn.rnn
        self.directions = 2 if rnn.bidirectional else 1
        self.layers = nn.ModuleList()
        for layer in range(rnn.num_layers):
            input_size = rnn.input_size if layer == 0 else rnn.hidden_size * self.directions
            for direction in range(self.directions):
                cell = type(rnn)(input_size, rnn.hidden_size, batch_first=True, bias=rnn.bias)
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if rnn.bias else ()):
                    getattr(cell, f"{name}_l0").data.copy_(getattr(rnn, f"{name}{suffix}").data)
                self.layers.append(cell)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.where(x < self.vocab_size, x, torch.full_like(x, self.unknown_id))
        lengths = (x != self.padding_id).sum(dim=1).clamp(min=1)
        positions = torch.arange(x.shape[1], device=x.device)[None, :]
        inside = positions < lengths[:, None]
        # Reversal within each text's length (padding stays where it is); it is its own inverse.
        reverse = torch.where(inside, lengths[:, None] - 1 - positions, positions)
        last = (lengths - 1)[:, None, None]
        hidden = self.dropout(self.embedding(x))
        finals: list[torch.Tensor] = []
        for layer in range(len(self.layers) // self.directions):
            outputs, finals = [], []
            for direction in range(self.directions):
                cell = self.layers[layer * self.directions + direction]
                seq = hidden if direction == 0 else _reorder(hidden, reverse)
                out, _ = cell(seq)
                finals.append(out.gather(1, last.expand(-1, 1, out.shape[2]))[:, 0])
                outputs.append(out if direction == 0 else _reorder(out, reverse))
            hidden = torch.cat(outputs, dim=2)
        return self.head(self.dropout(torch.cat(finals, dim=1)))


def _reorder(seq: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """``seq[b, order[b, t]]`` for every text ``b`` and step ``t``."""
    return seq.gather(1, order[:, :, None].expand(-1, -1, seq.shape[2]))
