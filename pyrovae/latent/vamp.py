r"""VampPrior: the prior as the mixture of the posterior at learned pseudo-inputs.

Tomczak & Welling (2018) replace :math:`p(z)` by the "variational mixture of posteriors"

.. math:: p_\lambda(z) = \frac1K \sum_{k=1}^K q(z \mid u_k),

the aggregate posterior of :math:`K` learned pseudo-inputs :math:`u_k`, pushed through the
VAE's own encoder and posterior. For text a pseudo-input cannot be a sequence of discrete
tokens (it could not be learned by gradient): here :math:`u_k` is a sequence of ``length``
vectors in the encoder's embedding space, fed to the encoder's recurrent network after the
embedding layer (``encoder.encode_embedded``), initialised as the embeddings of random tokens.

The prior needs the VAE's encoder and posterior. It does not own them: :class:`~pyrovae.vae.TextVAE`
calls :meth:`VampPrior.bind` with its own modules, which the prior references without
registering them as submodules, so their weights are stored once, under ``encoder.*`` and
``posterior.*``; the prior's state is its ``pseudo_inputs``. Gradients of the rate reach the
encoder and posterior through the prior as well as through the guide, as in the paper.

There is no closed-form KL to a mixture: the rate is the Monte Carlo estimate
:math:`\log q(z \mid x) - \log p_\lambda(z)`, which scores the guide's draw under every
:math:`q(z \mid u_k)`. The posterior must therefore score arbitrary points (not a planar flow);
with an IAF this inverts the flow for each of the :math:`K` components (``latent_dim`` network
passes per step), which makes a VampPrior with an IAF much slower than with a Gaussian posterior.

Reference: Tomczak & Welling, "VAE with a VampPrior", AISTATS 2018 (arXiv:1705.07120).
"""

from __future__ import annotations

import pyro.distributions as dist
import torch
from torch import nn

from pyrovae.errors import ConfigError, UnsupportedModelError
from pyrovae.latent.prior import PRIORS, Prior
from pyrovae.registry import positive_int


class _ComponentwiseMixture(dist.MixtureSameFamily):
    """``MixtureSameFamily`` that expands a point over the components before scoring it.

    Torch aligns a point with the components by broadcasting (``[..., 1, D]`` against
    ``[..., K, D]``); a conditional flow's networks cannot broadcast their context that way,
    so the point is expanded to ``[..., K, D]`` (a view) first.
    """

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        x = super()._pad(x)
        components = self.component_distribution.batch_shape + self.component_distribution.event_shape
        return x.expand(torch.broadcast_shapes(x.shape, components))


@PRIORS.register("vamp")
class VampPrior(Prior):
    """``p(z) = 1/K sum_k q(z | u_k)`` with ``K = components`` learned pseudo-inputs.

    Args:
        latent_dim: size of ``z``.
        components: number of pseudo-inputs :math:`K`.
        length: vectors per pseudo-input (a pseudo-sentence of ``length`` embedded tokens).

    The pseudo-inputs (``[K, length, embed_dim]``) are created by :meth:`bind`, when the
    encoder's embedding size is known; :class:`~pyrovae.vae.TextVAE` calls it on construction.
    """

    def __init__(self, latent_dim: int, components: int = 50, length: int = 8) -> None:
        super().__init__(latent_dim)
        self.components = positive_int(components, "a VampPrior's number of components")
        self.length = positive_int(length, "a VampPrior's pseudo-input length")
        self.register_parameter("pseudo_inputs", None)
        self._network: tuple[nn.Module, nn.Module] | None = None  # a tuple: not submodules

    def bind(self, encoder: nn.Module, posterior: nn.Module) -> None:
        """Use ``encoder`` (with ``embedding`` and ``encode_embedded``) and ``posterior``.

        Raises:
            ConfigError: the encoder cannot take embedded inputs, the posterior cannot score
                points it did not draw, or its latent size differs from the prior's.
        """
        embedding = getattr(encoder, "embedding", None)
        if not isinstance(embedding, nn.Embedding) or not callable(getattr(encoder, "encode_embedded", None)):
            raise ConfigError(
                f"the VampPrior feeds learned pseudo-inputs through the encoder, which needs an `embedding` "
                f"(nn.Embedding) and an `encode_embedded(embedded, lengths)` method, as RecurrentEncoder has; "
                f"{type(encoder).__name__} lacks them"
            )
        if not getattr(posterior, "scores_any_point", True):
            raise ConfigError(
                f"the VampPrior scores every code under the posterior at its pseudo-inputs, which "
                f"{type(posterior).__name__} cannot do (no inverse); use posterior=iaf or posterior=normal"
            )
        if posterior.latent_dim != self.latent_dim:
            raise ConfigError(f"the posterior's latent_dim {posterior.latent_dim} differs from the VampPrior's {self.latent_dim}")
        if self.pseudo_inputs is None:
            tokens = torch.randint(embedding.num_embeddings, (self.components, self.length), device=embedding.weight.device)
            self.pseudo_inputs = nn.Parameter(embedding.weight.detach()[tokens].clone())
        self._network = (encoder, posterior)

    def forward(self) -> dist.Distribution:
        if self._network is None:
            raise UnsupportedModelError(
                "this VampPrior is not bound to an encoder and posterior: TextVAE binds its prior on "
                "construction; elsewhere call prior.bind(encoder, posterior)"
            )
        encoder, posterior = self._network
        components = posterior(encoder.encode_embedded(self.pseudo_inputs))  # batch shape [K]
        weights = torch.zeros(self.components, device=self.pseudo_inputs.device)
        return _ComponentwiseMixture(dist.Categorical(logits=weights), components)
