"""Encoded sentences as a PyTorch dataset."""

from __future__ import annotations

from collections.abc import Sequence

from torch.utils.data import Dataset

from pyrovae.data.vocabulary import Vocabulary
from pyrovae.errors import ConfigError, DataError


class SentenceDataset(Dataset):
    """Sentences encoded to word ids, one item per sentence.

    Sentences with no word, and (when ``max_length`` is given) sentences of more than
    ``max_length`` words, are left out; how many is kept in :attr:`num_dropped_empty` and
    :attr:`num_dropped_long`, and :attr:`source_index` maps each item back to its position in
    ``sentences``.

    :param sentences: sentences as strings (split on whitespace) or as token sequences.
    :param vocab: the vocabulary that encodes them (unknown words become ``<unk>``).
    :param max_length: the most words a kept sentence may have, or ``None`` for no limit.
    :raises ConfigError: if ``max_length`` is not a positive integer.
    :raises DataError: if no sentence is left.
    """

    def __init__(
        self,
        sentences: Sequence[str] | Sequence[Sequence[str]],
        vocab: Vocabulary,
        max_length: int | None = None,
    ) -> None:
        if max_length is not None and (
            isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
        ):
            raise ConfigError(
                f"max_length must be a positive number of words or None, got {max_length!r}"
            )
        self.vocab = vocab
        self.max_length = max_length
        self.num_dropped_empty = 0
        self.num_dropped_long = 0
        self._ids: list[list[int]] = []
        self.source_index: list[int] = []
        for position, sentence in enumerate(sentences):
            ids = vocab.encode(sentence)
            if not ids:
                self.num_dropped_empty += 1
            elif max_length is not None and len(ids) > max_length:
                self.num_dropped_long += 1
            else:
                self._ids.append(ids)
                self.source_index.append(position)
        if not self._ids:
            hint = (
                f": all {self.num_dropped_long} sentences are longer than max_length="
                f"{max_length} words; raise max_length"
                if self.num_dropped_long
                else ": pass non-empty sentences"
            )
            raise DataError(f"no sentence left to make a dataset{hint}")
        self._lengths = [len(ids) + 1 for ids in self._ids]

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int) -> list[int]:
        """Word ids of sentence ``index`` (no ``<bos>``/``<eos>``)."""
        return self._ids[index]

    @property
    def lengths(self) -> list[int]:
        """Predicted tokens of each sentence: its words plus one ``<eos>``."""
        return self._lengths

    @property
    def num_dropped(self) -> int:
        """Sentences left out, empty or too long."""
        return self.num_dropped_empty + self.num_dropped_long

    @property
    def num_tokens(self) -> int:
        """Predicted tokens in the dataset (words plus one ``<eos>`` per sentence)."""
        return sum(self._lengths)

    def __repr__(self) -> str:
        return (
            f"SentenceDataset(size={len(self)}, max_length={self.max_length}, "
            f"dropped_long={self.num_dropped_long}, dropped_empty={self.num_dropped_empty})"
        )
