"""``TextCodec``: how sentences become token ids and back, chosen by the model file.

A codec turns a sentence (a string) into the ids its decoder predicts, turns ids back into text,
pads encoded sentences into a :class:`~pyrovae.text.TokenBatch`, and saves itself into a run
directory so that every command reloads the very codec a model was trained with. pyrovae has
three: the word-level :class:`~pyrovae.text.Vocabulary` (the default when a model file says
nothing), :class:`~pyrovae.text.HuggingFaceCodec` (a pretrained tokenizer from a checkpoint
folder) and :class:`~pyrovae.text.CodecPair` (one codec for the encoder, another for the decoder,
as Optimus pairs BERT's WordPiece with GPT-2's byte-level BPE). A new one subclasses
:class:`TextCodec` and implements :meth:`~TextCodec.encode`, :meth:`~TextCodec.decode`,
:attr:`~TextCodec.vocab_size`, :meth:`~TextCodec.save_pretrained` and
:meth:`~TextCodec.from_pretrained`; a model file defines ``codec(sentences, **options)`` to make
one from the training sentences (docs/model-files.md).

**Token counts.** The decoder predicts the sentence's tokens and one end-of-sentence token, so a
sentence of ``n`` tokens counts ``n + 1`` (:attr:`TokenBatch.lengths`): every per-token figure
(nats per token, perplexity) is per *codec token*, named by :attr:`TextCodec.token_unit`. Nats
per sentence compare across codecs; for subword and character codecs pyrovae also reports
per-word figures over the whitespace words plus one end of sentence per sentence
(:attr:`TokenBatch.words`), the denominator a word-level model's per-token figures use.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from pyrovae.errors import DataError
from pyrovae.text.batch import TokenBatch


@dataclass(frozen=True)
class EncodedSentence:
    """One sentence as a codec encoded it.

    Attributes:
        ids: the decoder's token ids, without ``<bos>``/``<eos>``.
        words: whitespace words of the sentence (for per-word figures).
        encoder_ids: the sentence in the encoder's own ids, special tokens included, when the
            encoder reads another tokenisation or layout than the decoder; else None.
    """

    ids: Sequence[int]
    words: int
    encoder_ids: Sequence[int] | None = None


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id sequences into ``(ids [B, S], mask [B, S])``."""
    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    for i, row in enumerate(rows):
        if len(row):
            ids[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    lengths = torch.tensor([len(row) for row in rows], dtype=torch.long)
    return ids, torch.arange(width) < lengths.unsqueeze(-1)


class TextCodec(ABC):
    """Sentences to token ids and back, the special ids, and persistence in a run directory.

    Attributes:
        pad_id, bos_id, eos_id: the decoder's padding, start and end-of-sentence ids (they may
            coincide, as GPT-2's single ``<|endoftext|>`` does).
        unk_id: the id of unknown tokens, or None for a codec that has none (byte-level BPE).
        token_unit: what one token is, for per-token figures ("word", "subword token", ...).
    """

    token_unit: str = "token"
    pad_id: int
    bos_id: int
    eos_id: int
    unk_id: int | None = None

    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """Number of decoder ids (the size of the decoder's output layer)."""

    def __len__(self) -> int:
        return self.vocab_size

    @property
    def encoder_pad_id(self) -> int:
        """The padding id of :attr:`EncodedSentence.encoder_ids` (the decoder's by default)."""
        return self.pad_id

    @abstractmethod
    def encode(self, sentence: str) -> list[int]:
        """The decoder's ids of ``sentence``'s tokens, without ``<bos>``/``<eos>``."""

    @abstractmethod
    def decode(self, ids: Iterable[int] | torch.Tensor, strip_special: bool = True) -> str:
        """The text of ``ids`` up to the first ``<eos>``; special tokens dropped by default."""

    def encode_sentence(self, sentence: str) -> EncodedSentence:
        """``sentence`` as the decoder (and, where it differs, the encoder) reads it."""
        return EncodedSentence(self.encode(sentence), len(sentence.split()))

    def encode_sentences(self, sentences: Sequence[str]) -> list[EncodedSentence]:
        """:meth:`encode_sentence` of every sentence (codecs with a batched tokenizer override it)."""
        return [self.encode_sentence(sentence) for sentence in sentences]

    def collate(
        self, items: Sequence[EncodedSentence], index: Sequence[int] | torch.Tensor | None = None
    ) -> TokenBatch:
        """Pad encoded sentences into a batch: ``<bos> t_1 ... t_n <eos> <pad> ...``.

        Args:
            items: the encoded sentences.
            index: optional position of each sentence in its dataset (``TokenBatch.index``).

        Raises:
            DataError: no sentences, or ``index`` of another length.
        """
        if len(items) == 0:
            raise DataError("cannot collate an empty list of sentences into a batch")
        tokens, _ = pad_rows([[self.bos_id, *item.ids, self.eos_id] for item in items], self.pad_id)
        lengths = torch.tensor([len(item.ids) + 1 for item in items], dtype=torch.long)
        encoder_ids = encoder_mask = None
        if items[0].encoder_ids is not None:
            encoder_ids, encoder_mask = pad_rows([item.encoder_ids for item in items], self.encoder_pad_id)
        if index is not None:
            index = torch.as_tensor(index, dtype=torch.long).reshape(-1)
            if index.numel() != len(items):
                raise DataError(
                    f"collate got {len(items)} sentences but {index.numel()} index entries; pass "
                    "one dataset index per sentence"
                )
        words = torch.tensor([item.words + 1 for item in items], dtype=torch.long)
        return TokenBatch(tokens, lengths, self.pad_id, index, encoder_ids, encoder_mask, words)

    def batch(self, sentences: Sequence[str]) -> TokenBatch:
        """Encode and pad ``sentences`` in one go (for a handful of sentences typed by a user).

        Raises:
            DataError: no sentences, or one that encodes to no token.
        """
        if not sentences:
            raise DataError("no sentences given: pass at least one")
        empty = [i + 1 for i, sentence in enumerate(sentences) if not sentence.split()]
        if empty:
            raise DataError(f"sentence {empty[0]} is empty: every sentence needs at least one word")
        items = self.encode_sentences(list(sentences))
        untokenised = [i + 1 for i, item in enumerate(items) if not item.ids]
        if untokenised:
            raise DataError(f"sentence {untokenised[0]} encodes to no token: every sentence needs at least one")
        return self.collate(items)

    @abstractmethod
    def save_pretrained(self, directory: Path) -> None:
        """Write the codec's files into ``directory`` (which exists)."""

    @classmethod
    @abstractmethod
    def from_pretrained(cls, directory: Path, namespace: Mapping[str, type] | None = None) -> "TextCodec":
        """Read a codec that :meth:`save_pretrained` wrote into ``directory``.

        ``namespace`` maps class names to the codec classes a composite codec may need for its
        members (those of the run's model file); simple codecs ignore it.
        """

    def describe(self) -> str:
        """One line for logs: the kind of codec and its size."""
        return f"{type(self).__name__} ({self.vocab_size:,} {self.token_unit}s)"
