r"""Mixture-of-Gaussians prior with learned components.

.. math::
    p(z) = \sum_{k=1}^K \pi_k\, N\big(z;\, \mu_k, \operatorname{diag} \sigma_k^2\big),
    \qquad \pi = \operatorname{softmax}(\ell),

with learned means :math:`\mu_k`, log-scales :math:`\log \sigma_k` and logits :math:`\ell`
(Pyro's ``MixtureSameFamily``). There is no closed-form KL from a Gaussian posterior to a
mixture, so the shared accounting (:func:`pyrovae.infer.rate_distortion`) uses the Monte Carlo
estimate :math:`\log q(z \mid x) - \log p(z)`; the rate has no per-dimension split (per-dimension
free bits and MDR refuse with a clear error; use their total-rate variants).

Pelsmaeker & Aziz (2019) compare such a prior with the standard normal for sentence VAEs.

References:
    [1] Tomczak & Welling, "VAE with a VampPrior", AISTATS 2018 (arXiv:1705.07120), where the
        mixture of Gaussians is the learned-prior baseline.
    [2] Pelsmaeker & Aziz, "Effective Estimation of Deep Generative Language Models",
        ACL 2020 (arXiv:1904.08194).
"""

from __future__ import annotations

import pyro.distributions as dist
import torch
from torch import nn

from pyrovae.errors import ConfigError
from pyrovae.latent.prior import PRIORS, Prior
from pyrovae.registry import positive_int


@PRIORS.register("mog")
class MixtureOfGaussians(Prior):
    """``K = components`` learned diagonal Gaussians with learned mixture weights.

    Args:
        latent_dim: size of ``z``.
        components: number of mixture components :math:`K`.
        spread: standard deviation of the random initial means (``N(0, spread^2 I)``; distinct
            means break the symmetry between components); initial scales are 1 and the initial
            weights uniform.
    """

    def __init__(self, latent_dim: int, components: int = 10, spread: float = 1.0) -> None:
        super().__init__(latent_dim)
        positive_int(components, "the number of mixture components")
        if spread < 0:
            raise ConfigError(f"spread is a standard deviation, non-negative; got {spread}")
        self.loc = nn.Parameter(spread * torch.randn(components, latent_dim))
        self.log_scale = nn.Parameter(torch.zeros(components, latent_dim))
        self.logits = nn.Parameter(torch.zeros(components))

    @property
    def components(self) -> int:
        return self.logits.shape[0]

    def forward(self) -> dist.Distribution:
        return dist.MixtureSameFamily(
            dist.Categorical(logits=self.logits),
            dist.Normal(self.loc, self.log_scale.exp()).to_event(1),
        )
