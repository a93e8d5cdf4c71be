"""Diagonal-Gaussian posterior, the standard amortised guide of text VAEs."""

from __future__ import annotations

import pyro.distributions as dist
import torch
from torch import nn

from pyrovae.latent.posterior import POSTERIORS, Posterior, at_least_float32


@POSTERIORS.register("normal")
class DiagonalNormal(Posterior):
    r"""``q(z | x) = N(mu(h), diag(sigma(h)^2))`` with ``[mu, log sigma^2] = W h + b``.

    The log-variance parametrisation follows Kingma & Welling 2014 (arXiv:1312.6114) and
    He et al. 2019. Its KL to a diagonal-Gaussian prior is analytic and factorises over
    dimensions, so per-dimension objectives (free bits) and active units apply.
    """

    def __init__(self, context_dim: int, latent_dim: int) -> None:
        super().__init__(context_dim, latent_dim)
        self.to_params = nn.Linear(context_dim, 2 * latent_dim)

    def get_base_dist(self, context: torch.Tensor) -> dist.Distribution:
        loc, log_var = at_least_float32(self.to_params(context)).chunk(2, dim=-1)
        return dist.Normal(loc, torch.exp(0.5 * log_var)).to_event(1)
