r"""Planar-flow posterior (Rezende & Mohamed 2015).

Each step maps

.. math::
    f(z) = z + \hat u \tanh(w^\top z + b), \qquad
    \log \left|\det \frac{\partial f}{\partial z}\right| = \log \left|1 + \hat u^\top \psi(z)\right|,
    \quad \psi(z) = \big(1 - \tanh^2(w^\top z + b)\big)\, w,

where :math:`\hat u = u + \big(m(w^\top u) - w^\top u\big) w / \lVert w \rVert^2` with
:math:`m(a) = -1 + \log(1 + e^a)` enforces :math:`w^\top \hat u > -1`, which makes :math:`f`
invertible (appendix A of the paper). The transforms are Pyro's (``ConditionedPlanar``). With
``conditional=True`` a hypernetwork maps the encoder context :math:`h` to :math:`(b, u, w)` for
each sentence (``ConditionalPlanar``, the amortised flow of the paper); with ``conditional=False``
the steps are shared by all sentences and only the Gaussian base depends on :math:`h`.

**Caveat.** The inverse of a planar step has no closed form and Pyro does not implement it: the
posterior scores its own draws (cached during sampling), so training, the rate and
importance-weighted likelihoods work, but :math:`\log q(z \mid x)` at any other point raises
:class:`~pyrovae.errors.UnsupportedModelError` (``scores_any_point = False``). Mutual information,
the aggregate posterior and a VampPrior need it: use :class:`~pyrovae.latent.iaf.InverseAutoregressiveFlow`
or :class:`~pyrovae.latent.normal.DiagonalNormal` for those.

Reference: Rezende & Mohamed, "Variational Inference with Normalizing Flows" (arXiv:1505.05770).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Sequence

import torch
from pyro.distributions.conditional import ConditionalTransformModule
from pyro.distributions.transforms import ConditionalPlanar, Planar
from pyro.distributions.transforms.planar import ConditionedPlanar
from pyro.nn import DenseNN

from pyrovae.errors import ConfigError, UnsupportedModelError
from pyrovae.latent.flow import FlowPosterior
from pyrovae.latent.posterior import POSTERIORS
from pyrovae.registry import positive_int

#: :math:`w^\top u` at which :math:`\hat u = 0` (where :math:`m(a) = -1 + \log(1 + e^a) = 0`).
_IDENTITY_ALIGNMENT = math.log(math.e - 1.0)


def _unit_vector(like: torch.Tensor) -> torch.Tensor:
    direction = torch.randn(like.shape[-1], dtype=like.dtype, device=like.device)
    return direction / direction.norm()


class _Planar(ConditionedPlanar):
    """A planar step whose missing inverse fails with a message saying what to use instead."""

    def _inverse(self, y: torch.Tensor) -> torch.Tensor:
        raise UnsupportedModelError(
            "a planar flow cannot score a point it did not draw itself (its inverse has no closed "
            "form and is not implemented), so log q(z | x) at another point cannot be computed; use "
            "posterior=iaf (invertible) or posterior=normal where log q(z | x) is needed at arbitrary z"
        )


class _AmortisedPlanar(ConditionalPlanar):
    """A planar step whose parameters :math:`(b, u, w)` a hypernetwork computes from ``h``."""

    def condition(self, context: torch.Tensor) -> _Planar:
        return _Planar(partial(self._params, context))

    def reset_to_identity(self) -> None:
        output = self.nn.layers[-1]
        direction = _unit_vector(output.bias[1:].view(2, -1))
        output.weight.zero_()
        output.bias.copy_(torch.cat([output.bias.new_zeros(1), _IDENTITY_ALIGNMENT * direction, direction]))


class _SharedPlanar(ConditionalTransformModule):
    """A planar step with one parameter set :math:`(b, u, w)` for every sentence (ignores ``h``)."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.planar = Planar(latent_dim)  # holds b, u, w (Pyro's initialisation)

    def condition(self, context: torch.Tensor) -> _Planar:
        return _Planar(self.planar._params)

    def reset_to_identity(self) -> None:
        direction = _unit_vector(self.planar.w)
        self.planar.bias.zero_()
        self.planar.w.copy_(direction)
        self.planar.u.copy_(_IDENTITY_ALIGNMENT * direction)


@POSTERIORS.register("planar")
class PlanarFlow(FlowPosterior):
    """``steps`` planar transforms after a diagonal Gaussian conditioned on ``h``.

    Args:
        context_dim, latent_dim: sizes of ``h`` and ``z``.
        steps: number of planar steps :math:`K`.
        conditional: hypernetwork-computed (amortised) steps; else steps shared by all sentences.
        hidden_dims: hidden layer sizes of each step's hypernetwork (conditional only); default
            ``[10 * latent_dim, 10 * latent_dim]`` (Pyro's ``conditional_planar``).
        identity_init: start every step at the identity (:meth:`reset_to_identity`), so that the
            untrained flow is its Gaussian base.
    """

    scores_any_point = False

    def __init__(
        self,
        context_dim: int,
        latent_dim: int,
        steps: int = 2,
        conditional: bool = True,
        hidden_dims: Sequence[int] | None = None,
        identity_init: bool = False,
    ) -> None:
        positive_int(steps, "the number of flow steps")
        if conditional:
            hidden = list(hidden_dims) if hidden_dims is not None else [10 * latent_dim] * 2
            layers = [1, latent_dim, latent_dim]  # b, u, w
            flow = [_AmortisedPlanar(DenseNN(context_dim, hidden, param_dims=layers)) for _ in range(steps)]
        elif hidden_dims is not None:
            raise ConfigError("hidden_dims sizes the hypernetwork of a conditional planar flow; drop it or set conditional=true")
        else:
            flow = [_SharedPlanar(latent_dim) for _ in range(steps)]
        super().__init__(context_dim, latent_dim, flow)
        self.conditional = conditional
        if identity_init:
            self.reset_to_identity()

    @torch.no_grad()
    def reset_to_identity(self) -> None:
        r"""Make every step the identity with non-vanishing gradients.

        :math:`b = 0`, :math:`w` a random unit vector and :math:`u = \log(e - 1)\, w`, so that
        :math:`w^\top u = \log(e - 1)` and hence :math:`\hat u = 0` exactly (a zero :math:`w`
        would divide by zero in :math:`\hat u`, and :math:`u = w = 0` is a saddle point).
        """
        for step in self.steps:
            step.reset_to_identity()
