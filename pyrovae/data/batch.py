"""A padded batch of token sequences, the unit every model, guide and metric consumes."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TokenBatch:
    """Sentences as padded token ids.

    ``tokens[b]`` is ``<bos> w_1 ... w_n <eos> <pad> ...``: shape ``[B, T + 1]`` where ``T`` is the
    longest ``n + 1`` in the batch. The predicted tokens of sentence ``b`` are its ``n`` words plus
    one ``<eos>``: ``lengths[b] = n + 1``. This is the token-count convention of every per-token
    figure pyrovae reports (perplexity, nats per token).

    Attributes:
        tokens: ``LongTensor [B, T + 1]``.
        lengths: ``LongTensor [B]``, number of predicted tokens per sentence (words + 1).
        pad_id: id of ``<pad>``.
        index: optional ``LongTensor [B]`` of each sentence's position in its dataset.
    """

    tokens: torch.Tensor
    lengths: torch.Tensor
    pad_id: int = 0
    index: torch.Tensor | None = None

    @property
    def size(self) -> int:
        """Number of sentences ``B``."""
        return self.tokens.shape[0]

    @property
    def decoder_inputs(self) -> torch.Tensor:
        """``[B, T]``: ``<bos> w_1 ... w_n`` (teacher forcing inputs)."""
        return self.tokens[:, :-1]

    @property
    def targets(self) -> torch.Tensor:
        """``[B, T]``: ``w_1 ... w_n <eos>`` followed by padding."""
        return self.tokens[:, 1:]

    @property
    def mask(self) -> torch.Tensor:
        """``BoolTensor [B, T]``: true at the predicted positions of each sentence."""
        positions = torch.arange(self.targets.shape[1], device=self.tokens.device)
        return positions < self.lengths.unsqueeze(-1)

    @property
    def num_tokens(self) -> int:
        """Predicted tokens in the batch (words plus one ``<eos>`` per sentence)."""
        return int(self.lengths.sum())

    def to(self, device: torch.device | str) -> "TokenBatch":
        index = None if self.index is None else self.index.to(device)
        return TokenBatch(self.tokens.to(device), self.lengths.to(device), self.pad_id, index)

    def select(self, rows: torch.Tensor | slice) -> "TokenBatch":
        """The sub-batch of the given rows, trimmed to its own longest sentence."""
        lengths = self.lengths[rows]
        width = int(lengths.max()) + 1 if lengths.numel() else 1
        index = None if self.index is None else self.index[rows]
        return TokenBatch(self.tokens[rows, :width], lengths, self.pad_id, index)
