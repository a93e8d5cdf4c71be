"""A model file that extends pyrovae as docs/extending.md shows: it registers its own objective
and prior, and names a class as its objective. Importing it twice (the original, then the run
directory's copy, in one process) must work."""

from __future__ import annotations

import pyro.distributions as dist
import torch

from pyrovae.infer import OBJECTIVES, Objective
from pyrovae.latent import PRIORS, DiagonalNormal, Prior
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder
from pyrovae.text import TextCodec
from pyrovae.vae import TextVAE

config = {"batch_size": 16, "eval_batch_size": 32}


@OBJECTIVES.register("half_rate")
class HalfRate(Objective):
    """``D + R / 2``, a beta-VAE with beta = 1/2 written from scratch."""

    def loss_from_terms(self, terms):
        return terms.distortion + 0.5 * terms.rate


@PRIORS.register("laplace")
class LaplacePrior(Prior):
    """Independent standard Laplace coordinates (no closed-form KL: the rate is Monte Carlo)."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__(latent_dim)
        self.register_buffer("loc", torch.zeros(latent_dim), persistent=False)

    def forward(self):
        return dist.Laplace(self.loc, torch.ones_like(self.loc)).to_event(1)


objective = HalfRate  # a class: called with no arguments


def build(codec: TextCodec, latent_dim: int = 3, hidden_dim: int = 16, prior=LaplacePrior, posterior=DiagonalNormal) -> TextVAE:
    encoder = RecurrentEncoder(len(codec), 12, hidden_dim, pad_id=codec.pad_id)
    decoder = RecurrentDecoder(len(codec), latent_dim, 12, hidden_dim, pad_id=codec.pad_id, unk_id=codec.unk_id)
    return TextVAE(encoder, posterior(hidden_dim, latent_dim), prior(latent_dim), decoder)
