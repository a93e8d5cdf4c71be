"""``LanguageModel``: the no-latent baseline every text-VAE paper reports against."""

from __future__ import annotations

import pyro
import torch
from pyro.nn import PyroModule

from pyrovae.nn.decoder import Decoder
from pyrovae.text.batch import TokenBatch
from pyrovae.vae import DATA_PLATE, OBSERVED_SITE


class LanguageModel(PyroModule):
    """``p(x) = prod_t p(x_t | x_<t)`` as a Pyro model whose guide samples nothing.

    Because the guide is empty, every objective reduces to the exact negative log-likelihood
    (rate 0) and the importance-weighted estimate equals ``log p(x)`` for any number of samples,
    so the LM's figures sit in the same tables as the VAEs'.
    """

    latent_dim = 0

    def __init__(self, decoder: Decoder) -> None:
        super().__init__()
        self.decoder = decoder

    def model(self, batch: TokenBatch) -> None:
        with pyro.plate(DATA_PLATE, batch.size):
            pyro.sample(OBSERVED_SITE, self.decoder.likelihood(batch), obs=batch.targets)

    def guide(self, batch: TokenBatch) -> None:
        """No latent variables: nothing to infer."""

    def model_parameters(self):
        yield from self.decoder.parameters()

    def guide_parameters(self):
        yield from ()

    @torch.no_grad()
    def decode(self, z: torch.Tensor | None, bos_id: int, eos_id: int, **kwargs) -> list[list[int]]:
        count = kwargs.pop("num_sequences", None) or (z.shape[0] if z is not None else 1)
        return self.decoder.generate(None, bos_id, eos_id, num_sequences=count, **kwargs)
