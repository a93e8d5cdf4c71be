"""Priors ``p(z)``: small modules whose ``forward()`` returns a distribution.

A new prior is a subclass of :class:`Prior` with a ``forward`` returning any Pyro distribution
with ``event_shape == (latent_dim,)``; buffers and parameters it registers follow the model to its
device and into checkpoints. Every objective and metric works with it: the rate is an analytic KL
where Pyro has one registered for (posterior, prior), Monte Carlo otherwise.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

import pyro.distributions as dist
import torch
from torch import nn


class Prior(nn.Module, metaclass=ABCMeta):
    """Base class of priors over a ``latent_dim``-dimensional code."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim

    @abstractmethod
    def forward(self) -> dist.Distribution:
        """The prior, ``event_shape == (latent_dim,)``."""


class StandardNormal(Prior):
    """``p(z) = N(0, I)``."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__(latent_dim)
        self.register_buffer("loc", torch.zeros(latent_dim), persistent=False)
        self.register_buffer("scale", torch.ones(latent_dim), persistent=False)

    def forward(self) -> dist.Distribution:
        return dist.Normal(self.loc, self.scale).to_event(1)
