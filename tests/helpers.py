"""Tiny real models shared by tests."""

from __future__ import annotations

import torch

from pyrovae.data.batch import TokenBatch
from pyrovae.latent import DiagonalNormal, StandardNormal
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder
from pyrovae.vae import TextVAE

VOCAB = 20


def tiny_vae(latent_dim: int = 3, cell: str = "lstm", coupling: str = "both", seed: int = 0) -> TextVAE:
    torch.manual_seed(seed)
    encoder = RecurrentEncoder(VOCAB, embed_dim=8, hidden_dim=12, cell=cell)
    decoder = RecurrentDecoder(VOCAB, latent_dim, embed_dim=8, hidden_dim=12, cell=cell, coupling=coupling)
    return TextVAE(encoder, DiagonalNormal(12, latent_dim), StandardNormal(latent_dim), decoder)


def tiny_batch(seed: int = 0, size: int = 4, max_words: int = 6) -> TokenBatch:
    generator = torch.Generator().manual_seed(seed)
    words = torch.randint(1, max_words + 1, (size,), generator=generator)
    tokens = torch.zeros(size, max_words + 2, dtype=torch.long)
    for row, n in enumerate(words.tolist()):
        tokens[row, 0] = 2
        tokens[row, 1 : n + 1] = torch.randint(4, VOCAB, (n,), generator=generator)
        tokens[row, n + 1] = 3
    width = int(words.max()) + 2
    return TokenBatch(tokens[:, :width], words + 1)
