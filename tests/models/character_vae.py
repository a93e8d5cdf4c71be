"""A character-level sentence VAE: a model file that brings its own codec, as a user would write one.

Every character of a sentence (spaces included) is a token. ``codec(sentences)`` makes the
codec from the training sentences; ``build(codec, ...)`` the VAE. Used by the tests of the
model-file contract and of every command (fit, evaluate, sample, interpolate, diagnose, resume).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import torch

from pyrovae.latent import DiagonalNormal, StandardNormal
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder
from pyrovae.text import TextCodec
from pyrovae.vae import TextVAE

config = {"batch_size": 16, "eval_batch_size": 32}


class CharacterCodec(TextCodec):
    """Every character of a sentence (spaces included) is a token: the smallest possible codec."""

    token_unit = "character"
    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def __init__(self, characters: Sequence[str]) -> None:
        self.characters = list(characters)
        self.index = {c: i + 4 for i, c in enumerate(self.characters)}

    @classmethod
    def build(cls, sentences: Iterable[str]) -> "CharacterCodec":
        return cls(sorted({c for sentence in sentences for c in sentence}))

    @property
    def vocab_size(self) -> int:
        return len(self.characters) + 4

    def encode(self, sentence: str) -> list[int]:
        return [self.index.get(c, self.unk_id) for c in sentence]

    def decode(self, ids, strip_special: bool = True) -> str:
        ids = ids.reshape(-1).tolist() if isinstance(ids, torch.Tensor) else list(ids)
        out = []
        for i in ids:
            if i == self.eos_id:
                break
            out.append("?" if i == self.unk_id else "" if i < 4 else self.characters[i - 4])
        return "".join(out)

    def save_pretrained(self, directory: Path) -> None:
        (Path(directory) / "characters.json").write_text(json.dumps(self.characters))

    @classmethod
    def from_pretrained(cls, directory: Path, namespace: Mapping[str, type] | None = None) -> "CharacterCodec":
        return cls(json.loads((Path(directory) / "characters.json").read_text()))



def codec(sentences: list[str], max_characters: int = 200) -> CharacterCodec:
    counts: dict[str, int] = {}
    for sentence in sentences:
        for c in sentence:
            counts[c] = counts.get(c, 0) + 1
    kept = sorted(counts, key=lambda c: (-counts[c], c))[:max_characters]
    return CharacterCodec(sorted(kept))


def build(codec: CharacterCodec, latent_dim: int = 4, hidden_dim: int = 24) -> TextVAE:
    encoder = RecurrentEncoder(len(codec), 16, hidden_dim, pad_id=codec.pad_id)
    decoder = RecurrentDecoder(len(codec), latent_dim, 16, hidden_dim, pad_id=codec.pad_id, unk_id=codec.unk_id)
    return TextVAE(encoder, DiagonalNormal(hidden_dim, latent_dim), StandardNormal(latent_dim), decoder)
