"""Priors ``p(z)``: small modules whose ``forward()`` returns a distribution.

A new prior is a subclass of :class:`Prior` with a ``forward`` returning any Pyro distribution
with ``event_shape == (latent_dim,)``; buffers and parameters it registers follow the model to its
device and into checkpoints. Every objective and metric works with it: the rate is an analytic KL
where Pyro has one registered for (posterior, prior), Monte Carlo otherwise.

This module holds the base class and the two diagonal-Gaussian priors; the mixture priors are in
:mod:`pyrovae.latent.mixture` and :mod:`pyrovae.latent.vamp`.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

import pyro.distributions as dist
import torch
from torch import nn

from pyrovae.latent.registry import PRIORS


class Prior(nn.Module, metaclass=ABCMeta):
    """Base class of priors over a ``latent_dim``-dimensional code.

    Constructors take ``(latent_dim, **options)``; the keyword options are what
    ``--set prior.KEY=VALUE`` sets for a registered prior.
    """

    #: constructor arguments fixed by the model (not options of ``--set prior.KEY=...``).
    fixed_options = ("latent_dim",)

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim

    @abstractmethod
    def forward(self) -> dist.Distribution:
        """The prior, ``event_shape == (latent_dim,)``."""

    def bind(self, encoder: nn.Module, posterior: nn.Module) -> None:
        """Called by :class:`~pyrovae.vae.TextVAE` with its inference network; a no-op here.

        A prior defined through the inference network (the VampPrior) keeps references to them
        without making them its submodules: they belong to the VAE, and a second registration
        would store their weights twice.
        """


@PRIORS.register("standard_normal")
class StandardNormal(Prior):
    """``p(z) = N(0, I)``."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__(latent_dim)
        self.register_buffer("loc", torch.zeros(latent_dim), persistent=False)
        self.register_buffer("scale", torch.ones(latent_dim), persistent=False)

    def forward(self) -> dist.Distribution:
        return dist.Normal(self.loc, self.scale).to_event(1)


@PRIORS.register("normal")
class LearnableNormal(Prior):
    r"""``p(z) = N(mu, diag(sigma^2))`` with learned :math:`\mu` and :math:`\log \sigma`.

    Initialised at :math:`N(0, I)`. The KL from a diagonal-Gaussian posterior stays analytic and
    per dimension. With a decoder whose first layer is affine in ``z`` (pyrovae's recurrent
    decoders) it does not enlarge the model family, since that layer can absorb an affine map
    of ``z``; it changes the parametrisation the optimiser sees.
    """

    def __init__(self, latent_dim: int) -> None:
        super().__init__(latent_dim)
        self.loc = nn.Parameter(torch.zeros(latent_dim))
        self.log_scale = nn.Parameter(torch.zeros(latent_dim))

    def forward(self) -> dist.Distribution:
        return dist.Normal(self.loc, self.log_scale.exp()).to_event(1)
