"""Amortised posteriors: modules mapping an encoder context ``h`` to a distribution over ``z``."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

import torch
from pyro.distributions import Distribution, TransformedDistribution
from pyro.distributions.transforms import Transform
from torch import nn


class Posterior(nn.Module, metaclass=ABCMeta):
    """Template for ``q(z | x) = T_h # base(h)``: a base distribution pushed through transforms.

    Subclasses implement :meth:`get_base_dist` and, for flows, :meth:`get_transforms` (the way
    Pyro's ``AutoContinuous`` guides split ``get_base_dist``/``get_transform``). The returned
    distribution has ``event_shape = (latent_dim,)`` and batch shape ``h.shape[:-1]``, and is
    computed in float32 even under autocast, so rates are never rounded to half precision.
    """

    def __init__(self, context_dim: int, latent_dim: int) -> None:
        super().__init__()
        self.context_dim = context_dim
        self.latent_dim = latent_dim

    @abstractmethod
    def get_base_dist(self, context: torch.Tensor) -> Distribution:
        """The base distribution, batch shape ``context.shape[:-1]``, event ``(latent_dim,)``."""

    def get_transforms(self, context: torch.Tensor) -> list[Transform]:
        """Transforms applied after the base distribution (none: the base is the posterior)."""
        return []

    #: whether ``log_prob`` can score points the distribution did not draw itself
    #: (False for flows without an inverse, such as planar flows).
    scores_any_point: bool = True

    def forward(self, context: torch.Tensor) -> Distribution:
        base = self.get_base_dist(context)
        transforms = self.get_transforms(context)
        return TransformedDistribution(base, transforms) if transforms else base
