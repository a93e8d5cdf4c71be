"""Tiny real models shared by tests."""

from __future__ import annotations

import torch

from pyrovae.data import EpochBatches, FixedBatches, SentenceDataset
from pyrovae.latent import DiagonalNormal, StandardNormal
from pyrovae.nn import (
    InitialStateInjection,
    InputConcatInjection,
    RecurrentDecoder,
    RecurrentEncoder,
)
from pyrovae.text.batch import TokenBatch
from pyrovae.vae import TextVAE

VOCAB = 20

#: The couplings of z into a recurrent decoder that tests sweep over.
COUPLINGS = ("init", "concat", "both")


def injections(coupling: str, latent_dim: int, hidden_dim: int, cell: str = "lstm") -> list:
    """The recurrent injections of a coupling name: initial state, input concatenation, or both."""
    chosen = []
    if coupling in ("init", "both"):
        chosen.append(InitialStateInjection(latent_dim, hidden_dim, lstm=cell == "lstm"))
    if coupling in ("concat", "both"):
        chosen.append(InputConcatInjection(latent_dim))
    return chosen


def tiny_vae(latent_dim: int = 3, cell: str = "lstm", coupling: str = "both", seed: int = 0) -> TextVAE:
    torch.manual_seed(seed)
    encoder = RecurrentEncoder(VOCAB, embed_dim=8, hidden_dim=12, cell=cell)
    decoder = RecurrentDecoder(
        VOCAB, latent_dim, embed_dim=8, hidden_dim=12, cell=cell, injections=injections(coupling, latent_dim, 12, cell)
    )
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


def make_trainer(trainer_class, vae, objective, config, run_dir, train_set: SentenceDataset, valid_set=None, **options):
    """``trainer_class`` over datasets batched as ``pyrovae fit`` batches them (one process)."""
    train_batches = EpochBatches(train_set, config.batch_size, seed=config.seed)
    valid_batches = None if valid_set is None else FixedBatches(valid_set, config.eval_batch_size)
    return trainer_class(vae, objective, config, run_dir, train_batches, valid_batches, **options)
