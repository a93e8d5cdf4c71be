r"""Normalizing-flow posteriors: a context-dependent base pushed through transforms.

A flow posterior is

.. math::
    z = f_K \circ \dots \circ f_1(z_0), \qquad z_0 \sim q_0(z_0 \mid h),

    \log q(z \mid x) = \log q_0(z_0 \mid h) - \sum_{k=1}^K \log \left|\det
        \frac{\partial f_k}{\partial z_{k-1}}\right|,

(Rezende & Mohamed 2015) with :math:`h` the encoder context and :math:`q_0` a diagonal Gaussian
:math:`N(\mu(h), \operatorname{diag} \sigma^2(h))` by default. Each step is a Pyro
``ConditionalTransformModule``: ``step.condition(h)`` gives the transform for a batch, conditioned
on ``h`` (the amortised flows of Rezende & Mohamed and Kingma et al.) or ignoring it (one flow
shared by all data points, after the context-dependent base). Conditioning builds fresh transform
objects for every distribution, so the one-entry caches that let a flow score its own samples
without inverting are never shared between two distributions.

The rate of a flow posterior has no closed form: the shared accounting
(:func:`pyrovae.infer.rate_distortion`) uses the Monte Carlo estimate
:math:`\log q(z \mid x) - \log p(z)` at the guide's draw, log-determinants included.

Reference: Rezende & Mohamed, "Variational Inference with Normalizing Flows" (arXiv:1505.05770).
"""

from __future__ import annotations

from typing import Iterable

import torch
from pyro.distributions import Distribution
from pyro.distributions.conditional import ConditionalTransformModule
from pyro.distributions.transforms import Transform
from torch import nn

from pyrovae.errors import ConfigError
from pyrovae.latent.normal import DiagonalNormal
from pyrovae.latent.posterior import Posterior


class FlowPosterior(Posterior):
    """``q(z | x)``: the ``base`` posterior at ``h`` pushed through ``steps`` conditioned on ``h``.

    Args:
        context_dim, latent_dim: sizes of ``h`` and ``z``.
        steps: ``ConditionalTransformModule`` s applied in order (their parameters train with
            the posterior).
        base: the posterior of :math:`z_0`; a fresh :class:`DiagonalNormal` by default.

    Subclasses that cannot score arbitrary points set ``scores_any_point = False``; those that
    can start as the identity implement :meth:`reset_to_identity`.
    """

    def __init__(
        self,
        context_dim: int,
        latent_dim: int,
        steps: Iterable[ConditionalTransformModule],
        base: Posterior | None = None,
    ) -> None:
        super().__init__(context_dim, latent_dim)
        self.base = base if base is not None else DiagonalNormal(context_dim, latent_dim)
        self.steps = nn.ModuleList(steps)

    def get_base_dist(self, context: torch.Tensor) -> Distribution:
        return self.base(context)

    def get_transforms(self, context: torch.Tensor) -> list[Transform]:
        return [step.condition(context) for step in self.steps]

    def reset_to_identity(self) -> None:
        """Set every step to the identity map, so that ``q(z | x)`` equals the base posterior."""
        raise ConfigError(
            f"{type(self).__name__} does not define an identity initialisation: implement "
            "reset_to_identity() in the subclass, or train it from its random initialisation"
        )
