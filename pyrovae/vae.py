"""``TextVAE``: a text VAE as a Pyro model/guide pair built from four modules."""

from __future__ import annotations

from typing import Iterator

import pyro
import torch
from pyro.distributions import Distribution
from pyro.nn import PyroModule
from torch import nn

from pyrovae.latent.posterior import Posterior
from pyrovae.latent.prior import Prior
from pyrovae.nn.decoder import Decoder
from pyrovae.text.batch import TokenBatch

#: Names of the sites every pyrovae model uses; objectives and metrics find them by type, not by
#: name, so other Pyro programs may name their sites as they like.
LATENT_SITE = "z"
OBSERVED_SITE = "tokens"
DATA_PLATE = "sentences"


class TextVAE(PyroModule):
    r"""A sentence VAE ``p(x, z) = p(z) p(x | z)`` with amortised guide ``q(z | x)``.

    Composed of four modules, each seeing the batch or what the previous one made of it ("batch
    in, distribution out"):

    * ``encoder(batch)`` -> a context: a pooled vector ``[B, H]`` or per-token
      :class:`~pyrovae.nn.TokenStates` (the encoder reads what it needs from the batch: its own
      token ids and mask, or the decoder's targets);
    * ``posterior(context)`` -> ``q(z | x)``, any distribution with batch shape ``[B]`` (its event
      a vector, or a set of vectors);
    * ``prior.for_batch(batch)`` -> ``p(z)``: the same for every sentence, or depending on the
      sentence (a length-conditioned prior, :class:`~pyrovae.latent.SentencePrior`);
    * ``decoder.likelihood(batch, z)`` -> ``p(x | z)`` over the batch's targets
      (:class:`~pyrovae.nn.Decoder`).

    Neither program computes a loss: objectives in :mod:`pyrovae.infer` score their traces. The
    constructor calls ``prior.bind(encoder, posterior)``, which lets a prior defined through the
    inference network (:class:`~pyrovae.latent.VampPrior`) use it without owning it.

    ``model(batch)``::

        with pyro.plate("sentences", B):
            z ~ p(z)                                  # site "z"
            tokens ~ p(x | z)                         # site "tokens", observed

    ``guide(batch)``::

        with pyro.plate("sentences", B):
            z ~ q(z | x)                              # site "z"

    Reference: Bowman et al., "Generating Sentences from a Continuous Space" (arXiv:1511.06349).
    """

    def __init__(self, encoder: nn.Module, posterior: Posterior, prior: Prior, decoder: Decoder):
        super().__init__()
        self.encoder = encoder
        self.posterior = posterior
        self.prior = prior
        self.decoder = decoder
        prior.bind(encoder, posterior)

    @property
    def latent_dim(self) -> int:
        return self.prior.latent_dim

    def model(self, batch: TokenBatch) -> None:
        with pyro.plate(DATA_PLATE, batch.size):
            z = pyro.sample(LATENT_SITE, self.prior.for_batch(batch))
            pyro.sample(OBSERVED_SITE, self.decoder.likelihood(batch, z), obs=batch.targets)

    def guide(self, batch: TokenBatch) -> None:
        posterior = self.posterior_distribution(batch)
        with pyro.plate(DATA_PLATE, batch.size):
            pyro.sample(LATENT_SITE, posterior)

    def posterior_distribution(self, batch: TokenBatch) -> Distribution:
        """``q(z | x)`` for every sentence of ``batch`` (batch shape ``[B]``)."""
        return self.posterior(self.encoder(batch))

    def model_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters of the generative model ``p(x, z)`` (decoder and prior)."""
        yield from self.decoder.parameters()
        yield from self.prior.parameters()

    def guide_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters of the inference network ``q(z | x)`` (encoder and posterior)."""
        yield from self.encoder.parameters()
        yield from self.posterior.parameters()

    @torch.no_grad()
    def decode(self, z: torch.Tensor, bos_id: int, eos_id: int, **kwargs) -> list[list[int]]:
        """Decode token ids from codes ``z [N, ...]`` (greedy unless ``choose`` is given)."""
        return self.decoder.generate(z, bos_id, eos_id, **kwargs)
