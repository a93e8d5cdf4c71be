"""Recurrent sentence encoder: tokens -> a fixed-size context vector."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from pyrovae.nn.cells import recurrent_cell
from pyrovae.text.batch import TokenBatch


class RecurrentEncoder(nn.Module):
    """Embeds a sentence and returns the final hidden state of an LSTM or GRU.

    The context is the last layer's hidden state after the last real token (packed sequences,
    so padding never enters it); with ``bidirectional=True`` the two directions are concatenated.
    This is the encoder of Bowman et al. 2016 and He et al. 2019 (arXiv:1901.05534).

    Args:
        vocab_size, embed_dim, hidden_dim, num_layers, dropout: as in ``torch.nn.LSTM``.
        cell: "lstm" or "gru".
        pad_id: id of the padding token (its embedding is zero and untrained).

    ``forward(batch) -> context [B, output_dim]`` reads the batch's encoder inputs
    (:attr:`~pyrovae.text.TokenBatch.encoder_inputs`: the decoder's targets with a word-level
    codec); ``encode(tokens [B, T], lengths [B])`` does the same from explicit tensors and
    ``encode_embedded(embedded [B, T, embed_dim], lengths [B] or None)`` from input vectors instead
    of token ids (what a VampPrior's learned pseudo-inputs are).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 256,
        hidden_dim: int = 256,
        num_layers: int = 1,
        cell: str = "lstm",
        bidirectional: bool = False,
        dropout: float = 0.0,
        pad_id: int = 0,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.dropout = nn.Dropout(dropout)
        self.rnn = recurrent_cell(cell)(
            embed_dim,
            hidden_dim,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.output_dim = hidden_dim * (2 if bidirectional else 1)

    def forward(self, batch: TokenBatch) -> torch.Tensor:
        return self.encode(batch.encoder_inputs, batch.encoder_lengths)

    def encode(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The context ``[B, output_dim]`` of token ids ``[B, T]`` whose first ``lengths`` are real."""
        return self.encode_embedded(self.dropout(self.embedding(tokens)), lengths)

    def encode_embedded(self, embedded: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The context of input vectors ``[B, T, embed_dim]``; ``lengths=None``: all ``T`` are real."""
        if lengths is None:
            _, state = self.rnn(embedded)
        else:
            packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, state = self.rnn(packed)
        hidden = state[0] if isinstance(state, tuple) else state  # LSTM returns (h, c)
        if self.rnn.bidirectional:
            return torch.cat([hidden[-2], hidden[-1]], dim=-1)
        return hidden[-1]
