r"""Inverse autoregressive flow posterior (Kingma et al. 2016), with MADE networks.

Each step is an affine autoregressive map of the previous code,

.. math::
    z_k = \mu_k(z_{k-1}, h) + \sigma_k(z_{k-1}, h) \odot z_{k-1}, \qquad
    \log \left|\det \frac{\partial z_k}{\partial z_{k-1}}\right| = \sum_d \log \sigma_{k,d},

(eq. 10 of the paper) where :math:`(\mu_k, \log \sigma_k)_d` depend on :math:`z_{k-1, <d}` only
(a MADE network, Germain et al. 2015) and on the encoder context :math:`h` (Pyro's
``ConditionalAffineAutoregressive`` with ``ConditionalAutoRegressiveNN``); ``conditional=False``
drops :math:`h` from the steps (one flow shared by all sentences after the context-dependent
Gaussian base). With ``stable=True`` a step is the sigmoid-gated update of eqs. 11–14,

.. math::
    \sigma_k = \operatorname{sigmoid}(s_k(z_{k-1}, h) + 2), \qquad
    z_k = \sigma_k \odot z_{k-1} + (1 - \sigma_k) \odot m_k(z_{k-1}, h),

numerically more stable but limited to contractions (:math:`\sigma < 1`). The order of the
variables is reversed after every step, as in the paper, so consecutive steps condition on
opposite sides.

Sampling and scoring the posterior's own draws take one network pass per step; scoring any
other point inverts each step dimension by dimension (``latent_dim`` passes per step), which is
what the aggregate posterior, mutual information and a VampPrior pay.

References:
    [1] Kingma et al., "Improved Variational Inference with Inverse Autoregressive Flow",
        NIPS 2016 (arXiv:1606.04934).
    [2] Germain et al., "MADE: Masked Autoencoder for Distribution Estimation" (arXiv:1502.03509).
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from pyro.distributions.conditional import ConditionalTransformModule
from pyro.distributions.transforms import (
    AffineAutoregressive,
    ConditionalAffineAutoregressive,
)
from pyro.nn import AutoRegressiveNN, ConditionalAutoRegressiveNN

from pyrovae.errors import ConfigError
from pyrovae.latent.flow import FlowPosterior
from pyrovae.latent.posterior import POSTERIORS
from pyrovae.registry import positive_int


class _SharedAffineAutoregressive(ConditionalTransformModule):
    """An IAF step with one MADE for every sentence (ignores ``h``)."""

    def __init__(self, arn: AutoRegressiveNN, **options: Any) -> None:
        super().__init__()
        self.nn = arn
        self.options = options

    def condition(self, context: torch.Tensor) -> AffineAutoregressive:
        return AffineAutoregressive(self.nn, **self.options)


@POSTERIORS.register("iaf")
class InverseAutoregressiveFlow(FlowPosterior):
    """``steps`` IAF steps after a diagonal Gaussian conditioned on ``h``.

    Args:
        context_dim, latent_dim: sizes of ``h`` and ``z``.
        steps: number of IAF steps :math:`K`.
        conditional: feed ``h`` to every step's MADE (Kingma et al.); else steps shared by all
            sentences.
        hidden_dims: hidden layer sizes of each MADE, each at least ``latent_dim``; default
            ``[10 * latent_dim]`` (Pyro's ``conditional_affine_autoregressive``).
        stable: the sigmoid-gated update (eqs. 11–14) instead of eq. 10.
        identity_init: start every step at the identity (:meth:`reset_to_identity`), so that the
            untrained flow is its Gaussian base; not available with ``stable=True``.
    """

    def __init__(
        self,
        context_dim: int,
        latent_dim: int,
        steps: int = 2,
        conditional: bool = True,
        hidden_dims: Sequence[int] | None = None,
        stable: bool = False,
        identity_init: bool = False,
    ) -> None:
        positive_int(steps, "the number of flow steps")
        hidden = list(hidden_dims) if hidden_dims is not None else [10 * latent_dim]
        if not hidden or min(hidden) < latent_dim:
            raise ConfigError(
                f"an IAF's MADE needs hidden layers of at least latent_dim={latent_dim} units, got hidden_dims={hidden}"
            )
        flow = []
        for k in range(steps):
            order = torch.arange(latent_dim) if k % 2 == 0 else torch.arange(latent_dim - 1, -1, -1)
            if conditional:
                made = ConditionalAutoRegressiveNN(latent_dim, context_dim, hidden, permutation=order)
                flow.append(ConditionalAffineAutoregressive(made, stable=stable))
            else:
                flow.append(_SharedAffineAutoregressive(AutoRegressiveNN(latent_dim, hidden, permutation=order), stable=stable))
        super().__init__(context_dim, latent_dim, flow)
        self.conditional, self.stable = conditional, stable
        if identity_init:
            self.reset_to_identity()

    @torch.no_grad()
    def reset_to_identity(self) -> None:
        """Zero the output layer of every MADE: :math:`\\mu_k = 0`, :math:`\\log \\sigma_k = 0`."""
        if self.stable:
            raise ConfigError(
                "a stable IAF cannot start as the identity: its scale sigmoid(s + 2) is below 1; "
                "drop identity_init or use stable=false"
            )
        for step in self.steps:
            output = step.nn.layers[-1]
            output.weight.zero_()
            output.bias.zero_()
