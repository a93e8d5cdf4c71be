"""``HuggingFaceCodec``: a pretrained HuggingFace tokenizer as a pyrovae codec.

The tokenizer comes from a checkpoint folder (``AutoTokenizer.from_pretrained``, offline) or a hub
id (online); it is saved into the run directory with ``save_pretrained``, so a trained run never
needs the original folder or the network again.

The decoder's sequence is ``<bos> t_1 ... t_n <eos>`` with the tokenizer's own special tokens:
``bos`` is its beginning-of-sequence token, else its classifier token (BERT's ``[CLS]``, as the
NVIB experiments and the thesis' RoBERTa decoder start), else its end-of-sequence token (GPT-2's
``<|endoftext|>`` starts and ends a sequence); ``eos`` is its end-of-sequence token, else its
separator (``[SEP]``); ``pad`` is its padding token, else ``eos`` (padded positions are masked, so
the value does not matter). The encoder reads the tokenizer's native layout of one sequence
(the tokenizer called with its special tokens: ``[CLS] t_1 ... t_n [SEP]`` for BERT,
``<s> ... </s>`` for RoBERTa), which is what a pretrained encoder was trained on.

A literal unknown-word token in the text (Mikolov's Penn Treebank writes rare words as
``<unk>``) would be cut into subwords (``<``, ``un``, ``##k``, ``>``); it becomes the tokenizer's
own unknown token instead (``unknown_word``; None keeps the text as it is).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from pyrovae.errors import ConfigError
from pyrovae.hub import local_folder, require_hub
from pyrovae.text.codec import EncodedSentence, TextCodec

#: Files of which a tokenizer folder has at least one.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "spiece.model")

_SETTINGS = "pyrovae_codec.json"


def load_tokenizer(name_or_path: str) -> Any:
    """``AutoTokenizer.from_pretrained(name_or_path)`` with one clear error for a bad folder or offline hub id.

    Raises:
        ConfigError: a missing folder or one without tokenizer files, a hub id while offline, or a
            folder ``transformers`` cannot read.
    """
    folder = local_folder(name_or_path, "a tokenizer", TOKENIZER_FILES)
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise ConfigError(
            "HuggingFace tokenizers need the `transformers` package: pip install 'pyrovae[transformers]'"
        ) from None
    if folder is None:
        try:
            return AutoTokenizer.from_pretrained(name_or_path, local_files_only=True)
        except OSError:
            require_hub(name_or_path, "tokenizer")
    try:
        return AutoTokenizer.from_pretrained(str(folder) if folder is not None else name_or_path)
    except (OSError, ValueError, KeyError) as error:
        raise ConfigError(f"transformers cannot load a tokenizer from {name_or_path}: {error}") from None


class HuggingFaceCodec(TextCodec):
    """A pretrained subword tokenizer (any ``transformers`` tokenizer) as the model's codec.

    Args:
        tokenizer: a ``transformers`` tokenizer (``PreTrainedTokenizerBase``).
        unknown_word: a whitespace token of the text that stands for an unknown word, mapped to
            the tokenizer's unknown token (if it has one); None keeps the text as it is.

    Raises:
        ConfigError: the tokenizer has neither an end-of-sequence nor a separator token.
    """

    token_unit = "subword token"

    def __init__(self, tokenizer: Any, unknown_word: str | None = "<unk>") -> None:
        eos = _first_id(tokenizer, "eos_token_id", "sep_token_id")
        if eos is None:
            raise ConfigError(
                f"the tokenizer {type(tokenizer).__name__} has no end-of-sequence (eos) or separator (sep) "
                "token, which the decoder needs to end a sentence; add one (tokenizer.add_special_tokens"
                "({'eos_token': ...}) and save_pretrained) or use another tokenizer"
            )
        self.tokenizer = tokenizer
        self.unknown_word = unknown_word
        self.eos_id = eos
        self.bos_id = _first_id(tokenizer, "bos_token_id", "cls_token_id", "eos_token_id")
        self.pad_id = _first_id(tokenizer, "pad_token_id", "eos_token_id", "sep_token_id")
        self.unk_id = tokenizer.unk_token_id

    @classmethod
    def load(cls, name_or_path: str, unknown_word: str | None = "<unk>") -> "HuggingFaceCodec":
        """The codec of the tokenizer in folder (or hub id) ``name_or_path``; see :func:`load_tokenizer`."""
        return cls(load_tokenizer(name_or_path), unknown_word)

    @property
    def vocab_size(self) -> int:
        return len(self.tokenizer)

    def _text(self, sentence: str) -> str:
        if self.unknown_word is None or self.tokenizer.unk_token is None:
            return sentence
        return " ".join(self.tokenizer.unk_token if w == self.unknown_word else w for w in sentence.split())

    def encode(self, sentence: str) -> list[int]:
        return list(self.tokenizer(self._text(sentence), add_special_tokens=False)["input_ids"])

    def encode_sentence(self, sentence: str) -> EncodedSentence:
        return self.encode_sentences([sentence])[0]

    def encode_sentences(self, sentences: Sequence[str]) -> list[EncodedSentence]:
        """:meth:`encode_sentence` of every sentence, tokenised in two batched calls (without and
        with the tokenizer's special tokens: the decoder's ids and the encoder's layout)."""
        texts = [self._text(sentence) for sentence in sentences]
        plain = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        native = self.tokenizer(texts, add_special_tokens=True)["input_ids"]
        return [
            EncodedSentence(list(ids), len(sentence.split()), list(layout))
            for sentence, ids, layout in zip(sentences, plain, native)
        ]

    def decode(self, ids: Iterable[int] | torch.Tensor, strip_special: bool = True) -> str:
        if isinstance(ids, torch.Tensor):
            ids = ids.reshape(-1).tolist()
        ids = [int(i) for i in ids]
        if self.eos_id in ids:
            ids = ids[: ids.index(self.eos_id) + (0 if strip_special else 1)]
        return self.tokenizer.decode(ids, skip_special_tokens=strip_special, clean_up_tokenization_spaces=False)

    def save_pretrained(self, directory: Path) -> None:
        self.tokenizer.save_pretrained(str(directory))
        (Path(directory) / _SETTINGS).write_text(json.dumps({"unknown_word": self.unknown_word}) + "\n", encoding="utf-8")

    @classmethod
    def from_pretrained(cls, directory: Path, namespace: Mapping[str, type] | None = None) -> "HuggingFaceCodec":
        settings_path = Path(directory) / _SETTINGS
        settings = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.is_file() else {}
        return cls(load_tokenizer(str(directory)), settings.get("unknown_word", "<unk>"))

    def describe(self) -> str:
        name = getattr(self.tokenizer, "name_or_path", "") or type(self.tokenizer).__name__
        return f"HuggingFace tokenizer {Path(name).name or name} ({self.vocab_size:,} subword tokens)"


def _first_id(tokenizer: Any, *attributes: str) -> int | None:
    for attribute in attributes:
        value = getattr(tokenizer, attribute, None)
        if value is not None:
            return int(value)
    return None
