"""``TextVAE``: a text VAE as a Pyro model/guide pair built from four modules."""

from __future__ import annotations

import pyro
import torch
from pyro.nn import PyroModule
from torch import nn

from pyrovae.data.batch import TokenBatch
from pyrovae.distributions.token_sequence import TokenSequence
from pyrovae.latent.posterior import Posterior
from pyrovae.latent.prior import Prior

#: Names of the sites every pyrovae model uses; objectives and metrics find them by type, not by
#: name, so other Pyro programs may name their sites as they like.
LATENT_SITE = "z"
OBSERVED_SITE = "tokens"
DATA_PLATE = "sentences"


class TextVAE(PyroModule):
    r"""A sentence VAE ``p(x, z) = p(z) p(x | z)`` with amortised guide ``q(z | x)``.

    Composed of an ``encoder`` (tokens -> context ``h``), a ``posterior`` (``h`` -> ``q(z|x)``),
    a ``prior`` (-> ``p(z)``) and a ``decoder`` (inputs, ``z`` -> next-token logits). Neither
    program computes a loss: objectives in :mod:`pyrovae.infer` score their traces. The
    constructor calls ``prior.bind(encoder, posterior)``, which lets a prior defined through the
    inference network (:class:`~pyrovae.latent.VampPrior`) use it without owning it.

    ``model(batch)``::

        with pyro.plate("sentences", B):
            z ~ p(z)                                  # site "z"
            tokens ~ TokenSequence(decoder(x_<t, z))  # site "tokens", observed

    ``guide(batch)``::

        with pyro.plate("sentences", B):
            z ~ q(z | x)                              # site "z"

    Reference: Bowman et al., "Generating Sentences from a Continuous Space" (arXiv:1511.06349).
    """

    def __init__(self, encoder: nn.Module, posterior: Posterior, prior: Prior, decoder: nn.Module):
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
            z = pyro.sample(LATENT_SITE, self.prior())
            logits = self.decoder(batch.decoder_inputs, z)
            pyro.sample(
                OBSERVED_SITE,
                TokenSequence(logits, batch.lengths, pad_id=batch.pad_id),
                obs=batch.targets,
            )

    def guide(self, batch: TokenBatch) -> None:
        context = self.encoder(batch.targets, batch.lengths)
        with pyro.plate(DATA_PLATE, batch.size):
            pyro.sample(LATENT_SITE, self.posterior(context))

    def posterior_distribution(self, batch: TokenBatch):
        """``q(z | x)`` for every sentence of ``batch`` (batch shape ``[B]``)."""
        return self.posterior(self.encoder(batch.targets, batch.lengths))

    def model_parameters(self):
        """Parameters of the generative model ``p(x, z)`` (decoder and prior)."""
        yield from self.decoder.parameters()
        yield from self.prior.parameters()

    def guide_parameters(self):
        """Parameters of the inference network ``q(z | x)`` (encoder and posterior)."""
        yield from self.encoder.parameters()
        yield from self.posterior.parameters()

    @torch.no_grad()
    def decode(self, z: torch.Tensor, bos_id: int, eos_id: int, **kwargs) -> list[list[int]]:
        """Decode token ids from codes ``z [N, D]`` (greedy unless ``choose`` is given)."""
        return self.decoder.generate(z, bos_id, eos_id, **kwargs)
