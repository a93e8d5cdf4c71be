"""Latent-variable modules: priors ``p(z)`` and amortised posteriors ``q(z | x)``.

Posteriors map the encoder context ``h`` (a pooled vector, or per-token
:class:`~pyrovae.nn.TokenStates`) to a distribution: :class:`DiagonalNormal`, and the
normalizing flows :class:`PlanarFlow` and :class:`InverseAutoregressiveFlow` built on
:class:`FlowPosterior`. Priors: :class:`StandardNormal`, :class:`LearnableNormal`,
:class:`MixtureOfGaussians` and :class:`VampPrior`. :data:`POSTERIORS` and :data:`PRIORS` name
them for the command line; :func:`posterior_factory` and :func:`prior_factory` turn a name or a
guide file into what a model file's ``build(codec, posterior=..., prior=...)`` takes.
"""

from pyrovae.latent.factory import posterior_factory, prior_factory
from pyrovae.latent.flow import FlowPosterior
from pyrovae.latent.iaf import InverseAutoregressiveFlow
from pyrovae.latent.mixture import MixtureOfGaussians
from pyrovae.latent.normal import DiagonalNormal
from pyrovae.latent.planar import PlanarFlow
from pyrovae.latent.posterior import POSTERIORS, Posterior, PosteriorFactory
from pyrovae.latent.prior import (
    PRIORS,
    LearnableNormal,
    Prior,
    PriorFactory,
    SentencePrior,
    StandardNormal,
)
from pyrovae.latent.vamp import VampPrior

__all__ = [
    "DiagonalNormal",
    "FlowPosterior",
    "InverseAutoregressiveFlow",
    "LearnableNormal",
    "MixtureOfGaussians",
    "POSTERIORS",
    "PRIORS",
    "PlanarFlow",
    "Posterior",
    "PosteriorFactory",
    "Prior",
    "PriorFactory",
    "SentencePrior",
    "StandardNormal",
    "VampPrior",
    "posterior_factory",
    "prior_factory",
]
