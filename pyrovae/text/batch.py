"""A padded batch of sentences: what every encoder, decoder, objective and metric consumes."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch


@dataclass(frozen=True)
class TokenBatch:
    """Sentences as padded token ids, for the decoder and (when it tokenises differently) the encoder.

    ``tokens[b]`` is ``<bos> t_1 ... t_n <eos> <pad> ...``: shape ``[B, T + 1]`` where ``T`` is the
    longest ``n + 1`` in the batch, in the decoder's ids. The predicted tokens of sentence ``b`` are
    its ``n`` tokens plus one ``<eos>``: ``lengths[b] = n + 1``. This is the token-count convention
    of every per-token figure pyrovae reports (perplexity, nats per token); what a token is (a word,
    a subword, a character) is the codec's :attr:`~pyrovae.text.TextCodec.token_unit`.

    Attributes:
        tokens: ``LongTensor [B, T + 1]``, the decoder's sequence.
        lengths: ``LongTensor [B]``, predicted tokens per sentence (tokens + 1).
        pad_id: the decoder's padding id.
        index: optional ``LongTensor [B]`` of each sentence's position in its dataset.
        encoder_ids: optional ``LongTensor [B, S]``: the sentence in the encoder's own ids (its
            special tokens included), when the encoder reads another tokenisation than the decoder
            (a BERT encoder beside a GPT-2 decoder) or another layout (``[CLS] ... [SEP]``). None:
            the encoder reads the decoder's :attr:`targets`, as pyrovae's recurrent encoders do.
        encoder_mask: ``BoolTensor [B, S]`` of the real positions of ``encoder_ids``.
        word_counts: optional ``LongTensor [B]``: whitespace words per sentence plus one end of
            sentence, the denominator of per-word figures (equal to ``lengths`` for a word-level
            codec). None: ``lengths``.
    """

    tokens: torch.Tensor
    lengths: torch.Tensor
    pad_id: int = 0
    index: torch.Tensor | None = None
    encoder_ids: torch.Tensor | None = None
    encoder_mask: torch.Tensor | None = None
    word_counts: torch.Tensor | None = None

    @property
    def size(self) -> int:
        """Number of sentences ``B``."""
        return self.tokens.shape[0]

    @property
    def decoder_inputs(self) -> torch.Tensor:
        """``[B, T]``: ``<bos> t_1 ... t_n`` (teacher forcing inputs)."""
        return self.tokens[:, :-1]

    @property
    def targets(self) -> torch.Tensor:
        """``[B, T]``: ``t_1 ... t_n <eos>`` followed by padding."""
        return self.tokens[:, 1:]

    @property
    def mask(self) -> torch.Tensor:
        """``BoolTensor [B, T]``: true at the predicted positions (and the real decoder inputs)."""
        positions = torch.arange(self.targets.shape[1], device=self.tokens.device)
        return positions < self.lengths.unsqueeze(-1)

    @property
    def encoder_inputs(self) -> torch.Tensor:
        """``[B, S]``: what the encoder reads, :attr:`encoder_ids` or else :attr:`targets`."""
        return self.targets if self.encoder_ids is None else self.encoder_ids

    @property
    def encoder_attention_mask(self) -> torch.Tensor:
        """``BoolTensor [B, S]``: the real positions of :attr:`encoder_inputs`."""
        return self.mask if self.encoder_ids is None else self.encoder_mask

    @property
    def encoder_lengths(self) -> torch.Tensor:
        """``LongTensor [B]``: the number of real positions of :attr:`encoder_inputs`."""
        return self.lengths if self.encoder_ids is None else self.encoder_mask.sum(-1)

    @property
    def num_tokens(self) -> int:
        """Predicted tokens in the batch (tokens plus one ``<eos>`` per sentence)."""
        return int(self.lengths.sum())

    @property
    def words(self) -> torch.Tensor:
        """``LongTensor [B]``: words plus one end of sentence per sentence (per-word figures)."""
        return self.lengths if self.word_counts is None else self.word_counts

    def to(self, device: torch.device | str) -> "TokenBatch":
        """The batch with every tensor on ``device``."""
        moved = {
            name: getattr(self, name).to(device)
            for name in ("tokens", "lengths", "index", "encoder_ids", "encoder_mask", "word_counts")
            if getattr(self, name) is not None
        }
        return replace(self, **moved)

    def select(self, rows: torch.Tensor | slice) -> "TokenBatch":
        """The sub-batch of the given rows, trimmed to its own longest sentence."""
        lengths = self.lengths[rows]
        width = int(lengths.max()) + 1 if lengths.numel() else 1
        encoder_ids = encoder_mask = None
        if self.encoder_ids is not None:
            encoder_mask = self.encoder_mask[rows]
            span = int(encoder_mask.sum(-1).max()) if encoder_mask.numel() else 1
            encoder_ids, encoder_mask = self.encoder_ids[rows, :span], encoder_mask[:, :span]
        return TokenBatch(
            self.tokens[rows, :width],
            lengths,
            self.pad_id,
            None if self.index is None else self.index[rows],
            encoder_ids,
            encoder_mask,
            None if self.word_counts is None else self.word_counts[rows],
        )
