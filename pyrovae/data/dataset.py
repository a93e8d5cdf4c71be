"""Encoded sentences as a PyTorch dataset."""

from __future__ import annotations

from collections.abc import Sequence

from torch.utils.data import Dataset

from pyrovae.errors import ConfigError, DataError
from pyrovae.text.codec import EncodedSentence, TextCodec


class SentenceDataset(Dataset):
    """Sentences encoded by a codec, one :class:`~pyrovae.text.EncodedSentence` per item.

    Sentences that encode to no token, and (when ``max_length`` is given) sentences of more than
    ``max_length`` tokens, are left out; how many is kept in :attr:`num_dropped_empty` and
    :attr:`num_dropped_long`, and :attr:`source_index` maps each item back to its position in
    ``sentences``.

    :param sentences: sentences as strings (or as token sequences, joined with spaces).
    :param codec: the codec that encodes them (e.g. a :class:`~pyrovae.text.Vocabulary`, whose
        unknown words become ``<unk>``).
    :param max_length: the most tokens (of the codec) a kept sentence may have, or ``None``.
    :raises ConfigError: if ``max_length`` is not a positive integer.
    :raises DataError: if no sentence is left.
    """

    def __init__(
        self,
        sentences: Sequence[str] | Sequence[Sequence[str]],
        codec: TextCodec,
        max_length: int | None = None,
    ) -> None:
        if max_length is not None and (
            isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
        ):
            raise ConfigError(
                f"max_length must be a positive number of tokens or None, got {max_length!r}"
            )
        self.codec = codec
        self.max_length = max_length
        self.num_dropped_empty = 0
        self.num_dropped_long = 0
        self._items: list[EncodedSentence] = []
        self.source_index: list[int] = []
        texts = [s if isinstance(s, str) else " ".join(s) for s in sentences]
        for position, item in enumerate(codec.encode_sentences(texts)):
            if not item.ids:
                self.num_dropped_empty += 1
            elif max_length is not None and len(item.ids) > max_length:
                self.num_dropped_long += 1
            else:
                self._items.append(item)
                self.source_index.append(position)
        if not self._items:
            hint = (
                f": all {self.num_dropped_long} sentences are longer than max_length="
                f"{max_length} tokens; raise max_length"
                if self.num_dropped_long
                else ": pass non-empty sentences"
            )
            raise DataError(f"no sentence left to make a dataset{hint}")
        self._lengths = [len(item.ids) + 1 for item in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> EncodedSentence:
        """Sentence ``index`` as the codec encoded it."""
        return self._items[index]

    @property
    def lengths(self) -> list[int]:
        """Predicted tokens of each sentence: its tokens plus one ``<eos>``."""
        return self._lengths

    @property
    def num_dropped(self) -> int:
        """Sentences left out, empty or too long."""
        return self.num_dropped_empty + self.num_dropped_long

    @property
    def num_tokens(self) -> int:
        """Predicted tokens in the dataset (tokens plus one ``<eos>`` per sentence)."""
        return sum(self._lengths)

    @property
    def num_words(self) -> int:
        """Whitespace words plus one end of sentence per sentence (the denominator of per-word figures)."""
        return sum(item.words + 1 for item in self._items)

    def __repr__(self) -> str:
        return (
            f"SentenceDataset(size={len(self)}, max_length={self.max_length}, "
            f"dropped_long={self.num_dropped_long}, dropped_empty={self.num_dropped_empty})"
        )
