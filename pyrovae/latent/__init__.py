"""Latent-variable modules: priors ``p(z)`` and amortised posteriors ``q(z | x)``."""

from pyrovae.latent.normal import DiagonalNormal
from pyrovae.latent.posterior import Posterior
from pyrovae.latent.prior import Prior, StandardNormal

__all__ = ["DiagonalNormal", "Posterior", "Prior", "StandardNormal"]
