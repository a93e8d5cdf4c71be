r"""A toy VAE with a set-valued latent: one Gaussian vector per token, and a prior that depends on
the sentence's length. Written as a user would, on pyrovae's public seams only:

* the encoder returns per-token :class:`~pyrovae.nn.TokenStates` (an LSTM's outputs and the mask);
* the posterior is :class:`TokenGaussians`, ``q(z_i | x) = N(mu(h_i), sigma(h_i)^2)`` for each of
  the ``n`` tokens; the code is a weighted set (``[K, D + 1]``, weight ``1/n`` on the real slots,
  :mod:`pyrovae.distributions.weighted_set`);
* the prior is a :class:`~pyrovae.latent.SentencePrior`: ``n`` standard-normal vectors for a
  sentence of ``n`` tokens;
* the decoder is a recurrent decoder whose code is the weighted mean of the set.

The KL between two ``TokenGaussians`` on the same slots is registered, so the rate is the
analytic :math:`\sum_{i \le n} \mathrm{KL}(q(z_i|x) \| N(0, I))` in the one accounting.
"""

from __future__ import annotations

import pyro.distributions as dist
import torch
from pyro.distributions import TorchDistribution, constraints
from torch import nn
from torch.distributions import kl_divergence, register_kl

from pyrovae.distributions import split_weighted_set, uniform_weights, weighted_set
from pyrovae.latent import Posterior, SentencePrior
from pyrovae.nn import RecurrentDecoder, RecurrentInjection, TokenStates
from pyrovae.text import TextCodec, TokenBatch
from pyrovae.vae import TextVAE

config = {"batch_size": 16, "eval_batch_size": 32}


class TokenGaussians(TorchDistribution):
    """Independent Gaussian vectors on the present slots of ``mask``, as a weighted set."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    has_rsample = True

    def __init__(self, loc: torch.Tensor, scale: torch.Tensor, mask: torch.Tensor, validate_args=None) -> None:
        self.loc, self.scale, self.mask = loc, scale, mask
        batch_shape = loc.shape[:-2]
        event_shape = loc.shape[-2:-1] + torch.Size([loc.shape[-1] + 1])
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    @property
    def support(self):
        return constraints.independent(constraints.real, 2)

    def expand(self, batch_shape, _instance=None):
        shape = torch.Size(batch_shape) + self.loc.shape[-2:]
        return TokenGaussians(self.loc.expand(shape), self.scale.expand(shape), self.mask.expand(shape[:-1]))

    def rsample(self, sample_shape=torch.Size()):
        shape = torch.Size(sample_shape) + self.loc.shape
        vectors = self.loc + self.scale * torch.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        mask = self.mask.expand(shape[:-1])
        return weighted_set(vectors * mask.unsqueeze(-1), uniform_weights(mask))

    def log_prob(self, value):
        vectors, _ = split_weighted_set(value)
        per_slot = dist.Normal(self.loc, self.scale).log_prob(vectors).sum(-1)
        return (per_slot * self.mask).sum(-1)

    @property
    def mean(self):
        return weighted_set(self.loc * self.mask.unsqueeze(-1), uniform_weights(self.mask))


@register_kl(TokenGaussians, TokenGaussians)
def _kl_token_gaussians(q: TokenGaussians, p: TokenGaussians) -> torch.Tensor:
    per_slot = kl_divergence(dist.Normal(q.loc, q.scale), dist.Normal(p.loc, p.scale)).sum(-1)
    return (per_slot * q.mask).sum(-1)


class TokenEncoder(nn.Module):
    """An LSTM over the encoder's inputs, returning every token's state."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_dim: int, pad_id: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.rnn = nn.LSTM(embed_dim, hidden_dim, batch_first=True)

    def forward(self, batch: TokenBatch) -> TokenStates:
        states, _ = self.rnn(self.embedding(batch.encoder_inputs))
        return TokenStates(states, batch.encoder_attention_mask)


class TokenPosterior(Posterior):
    def __init__(self, context_dim: int, latent_dim: int) -> None:
        super().__init__(context_dim, latent_dim)
        self.to_params = nn.Linear(context_dim, 2 * latent_dim)

    def get_base_dist(self, context: TokenStates) -> TokenGaussians:
        loc, log_var = self.to_params(context.states).float().chunk(2, -1)
        return TokenGaussians(loc, torch.exp(0.5 * log_var), context.mask)


class LengthPrior(SentencePrior):
    """``n`` standard-normal vectors for a sentence of ``n`` predicted tokens."""

    def for_batch(self, batch: TokenBatch) -> TokenGaussians:
        shape = batch.targets.shape + (self.latent_dim,)
        zeros = torch.zeros(shape, device=batch.tokens.device)
        return TokenGaussians(zeros, torch.ones_like(zeros), batch.mask)


class PooledSet(RecurrentInjection):
    """The decoder's initial state and every input from the weighted mean of the set's vectors."""

    def __init__(self, latent_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.input_dim = latent_dim
        self.to_cell = nn.Linear(latent_dim, hidden_dim)

    @staticmethod
    def pool(z: torch.Tensor) -> torch.Tensor:
        vectors, weights = split_weighted_set(z)
        return (vectors * weights.unsqueeze(-1)).sum(-2)

    def initial_state(self, z):
        cell = self.to_cell(self.pool(z)).unsqueeze(0)
        return torch.tanh(cell), cell

    def input_features(self, z, steps):
        pooled = self.pool(z)
        return pooled.unsqueeze(-2).expand(pooled.shape[0], steps, pooled.shape[-1])


class SetDecoder(RecurrentDecoder):
    latent_event_dims = 2


def build(codec: TextCodec, latent_dim: int = 3, hidden_dim: int = 16) -> TextVAE:
    encoder = TokenEncoder(len(codec), 12, hidden_dim, codec.pad_id)
    decoder = SetDecoder(
        len(codec), latent_dim, 12, hidden_dim, injections=[PooledSet(latent_dim, hidden_dim)], pad_id=codec.pad_id
    )
    return TextVAE(encoder, TokenPosterior(hidden_dim, latent_dim), LengthPrior(latent_dim), decoder)
