"""A word-level vocabulary: the map between whitespace tokens and integer ids, pyrovae's default codec."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import torch

from pyrovae.atomic import atomic_write_text
from pyrovae.errors import CheckpointError, ConfigError, DataError
from pyrovae.text.codec import TextCodec

_FORMAT = "pyrovae.vocabulary"
_VERSION = 1


#: The file a vocabulary is saved as inside a codec folder of a run directory.
FILE_NAME = "vocab.json"


class Vocabulary(TextCodec):
    """Word-level vocabulary with four reserved tokens: the default :class:`~pyrovae.text.TextCodec`.

    A sentence is split on whitespace; each word is a token, so per-token figures are per word
    (plus one end-of-sentence token per sentence).

    Ids ``0..3`` are always ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``; words follow in order of
    decreasing training-corpus frequency (ties broken alphabetically), so a vocabulary built from
    the same text is the same on every machine.

    A literal special token in the text (Mikolov's Penn Treebank writes rare words as ``<unk>``)
    is that special, not a new word: ``"<unk>"`` encodes to :attr:`unk_id`, exactly like a word
    the vocabulary does not know.

    :param tokens: every token in id order; the first four must be the specials above.
    :raises DataError: if the specials are missing or misplaced, or a token is repeated.
    """

    PAD = "<pad>"
    UNK = "<unk>"
    BOS = "<bos>"
    EOS = "<eos>"
    SPECIALS: tuple[str, ...] = (PAD, UNK, BOS, EOS)

    pad_id: int = 0
    unk_id: int = 1
    bos_id: int = 2
    eos_id: int = 3
    token_unit = "word"

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if tuple(tokens[: len(self.SPECIALS)]) != self.SPECIALS:
            raise DataError(
                f"a vocabulary must start with the special tokens {list(self.SPECIALS)}, "
                f"got {tokens[: len(self.SPECIALS)]}; build one with Vocabulary.build(sentences)"
            )
        bad = [t for t in tokens if not isinstance(t, str) or t.split() != [t]]
        if bad:
            raise DataError(
                f"vocabulary tokens must be non-empty strings without whitespace, got {bad[:5]!r}"
            )
        index = {token: i for i, token in enumerate(tokens)}
        if len(index) != len(tokens):
            repeated = sorted(t for t, c in Counter(tokens).items() if c > 1)
            raise DataError(f"vocabulary tokens must be unique, got repeated {repeated[:5]!r}")
        self._tokens = tokens
        self._index = index

    # ----------------------------------------------------------------------------------- building

    @classmethod
    def build(
        cls,
        sentences: Iterable[Sequence[str]] | Iterable[str],
        max_size: int | None = None,
        min_count: int = 1,
    ) -> "Vocabulary":
        """Count the words of a corpus and keep the most frequent ones.

        :param sentences: sentences as strings (split on whitespace) or as token sequences.
        :param max_size: the largest vocabulary, counting the four specials; ``None`` keeps every
            word seen at least ``min_count`` times.
        :param min_count: the fewest occurrences a word needs to be kept.
        :raises ConfigError: if ``max_size`` is below 4 or ``min_count`` below 1.
        :raises DataError: if the sentences contain no word.
        """
        if max_size is not None and (not isinstance(max_size, int) or max_size < len(cls.SPECIALS)):
            raise ConfigError(
                f"max_size counts the {len(cls.SPECIALS)} special tokens and must be an integer "
                f">= {len(cls.SPECIALS)} (or None for no limit), got {max_size!r}"
            )
        if not isinstance(min_count, int) or min_count < 1:
            raise ConfigError(f"min_count must be an integer >= 1, got {min_count!r}")
        counts: Counter[str] = Counter()
        for sentence in sentences:
            counts.update(_words(sentence))
        if not counts:
            raise DataError("cannot build a vocabulary: the sentences contain no words")
        for special in cls.SPECIALS:
            counts.pop(special, None)
        kept = (w for w, c in counts.items() if c >= min_count)
        words = sorted(kept, key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[: max_size - len(cls.SPECIALS)]
        return cls(list(cls.SPECIALS) + words)

    # ----------------------------------------------------------------------------------- mapping

    @property
    def vocab_size(self) -> int:
        return len(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._tokens == other._tokens

    def __hash__(self) -> int:
        return hash(tuple(self._tokens))

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)})"

    @property
    def tokens(self) -> list[str]:
        """Every token in id order (a copy)."""
        return list(self._tokens)

    def token(self, id: int) -> str:
        """The token with id ``id``.

        :raises IndexError: if ``id`` is not in ``[0, len(self))``.
        """
        id = int(id)
        if not 0 <= id < len(self._tokens):
            raise IndexError(f"token id must be in [0, {len(self._tokens)}), got {id}")
        return self._tokens[id]

    def id(self, token: str) -> int:
        """The id of ``token``, or :attr:`unk_id` for a word the vocabulary does not know."""
        return self._index.get(token, self.unk_id)

    def encode(self, sentence: str | Sequence[str]) -> list[int]:
        """Ids of a sentence's words, unknown words as :attr:`unk_id`; no ``<bos>``/``<eos>``."""
        get, unk = self._index.get, self.unk_id
        return [get(word, unk) for word in _words(sentence)]

    def decode(self, ids: Iterable[int] | torch.Tensor, strip_special: bool = True) -> str:
        """Words of a sequence of ids joined by spaces, up to the first ``<eos>``.

        :param ids: token ids (a list or a 1-d tensor).
        :param strip_special: drop ``<pad>``, ``<bos>`` and the final ``<eos>``; when false they
            are written out. ``<unk>`` is always written out, as it stands for a word.
        """
        if isinstance(ids, torch.Tensor):
            ids = ids.reshape(-1).tolist()
        words = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                if not strip_special:
                    words.append(self.EOS)
                break
            if strip_special and i in (self.pad_id, self.bos_id):
                continue
            words.append(self.token(i))
        return " ".join(words)

    # ----------------------------------------------------------------------------------- files

    def save_pretrained(self, directory: Path) -> None:
        """Write ``directory/vocab.json`` (see :meth:`save`)."""
        self.save(Path(directory) / FILE_NAME)

    @classmethod
    def from_pretrained(cls, directory: Path, namespace: Mapping[str, type] | None = None) -> "Vocabulary":
        """Read the ``vocab.json`` that :meth:`save_pretrained` wrote into ``directory``."""
        return cls.load(Path(directory) / FILE_NAME)

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON, atomically (a reader never sees half a file).

        The file is ``{"format": "pyrovae.vocabulary", "version": 1, "specials": {...},
        "tokens": [...]}``; parent folders are created.
        """
        payload = {
            "format": _FORMAT,
            "version": _VERSION,
            "size": len(self._tokens),
            "specials": {
                "pad": self.pad_id,
                "unk": self.unk_id,
                "bos": self.bos_id,
                "eos": self.eos_id,
            },
            "tokens": self._tokens,
        }
        atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=0) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        """Read a vocabulary written by :meth:`save`.

        :raises CheckpointError: if the file is missing, is not a pyrovae vocabulary, has an
            unsupported version, or its tokens are malformed.
        """
        path = Path(path)
        if not path.is_file():
            raise CheckpointError(
                f"vocabulary file {str(path)!r} does not exist; pass the vocab.json of a run "
                "directory, or build a vocabulary from training text"
            )
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CheckpointError(
                f"vocabulary file {str(path)!r} is not valid UTF-8 JSON ({e}); the file is "
                "damaged: rebuild the vocabulary or restore the file from the run directory"
            ) from None
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
            raise CheckpointError(
                f"{str(path)!r} is not a pyrovae vocabulary: expected \"format\": {_FORMAT!r}, "
                f"found {found!r}"
            )
        if payload.get("version") != _VERSION:
            raise CheckpointError(
                f"vocabulary file {str(path)!r} has version {payload.get('version')!r}; this "
                f"pyrovae reads version {_VERSION}: upgrade pyrovae or rebuild the vocabulary"
            )
        tokens = payload.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise CheckpointError(
                f"vocabulary file {str(path)!r} must hold \"tokens\": a list of strings, "
                f"found {type(tokens).__name__}"
            )
        try:
            return cls(tokens)
        except DataError as e:
            raise CheckpointError(f"vocabulary file {str(path)!r} is malformed: {e}") from None


def _words(sentence: str | Sequence[str]) -> Sequence[str]:
    return sentence.split() if isinstance(sentence, str) else sentence
