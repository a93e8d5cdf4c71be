r"""Posterior draws of the mixed-membership model's parameters, and what they imply per group.

A :class:`MixedMembershipPosterior` holds ``S`` joint draws of the global parameters (from the
fitted guide) and evaluates, for every draw ``s``, each group's mixture density
:math:`q^{(s)}_g(z) = \sum_k \theta^{(s)}_{gk} f(z; \phi^{(s)}_k)`. Every summary in
:mod:`pyrovae.analysis` (weights with credible intervals, the marginal KL, the ArviZ
``log_likelihood`` group) is computed from these draws, so they agree with one another.

Component labels are arbitrary; :meth:`MixedMembershipPosterior.relabelled` orders them (the
reports put the reference group's largest component first). The mean-field guide is unimodal, so
labels do not switch between draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch

from pyrovae.analysis.mixed_membership import WEIGHTS, MixedMembership
from pyrovae.errors import ConfigError

#: Elements of ``[draws, N, K, P, E]`` evaluated at once (bounds the memory of the densities).
CHUNK_ELEMENTS = 2**22


@dataclass
class MixedMembershipPosterior:
    """``S`` parameter draws of ``model``.

    Attributes:
        model: the model (its layout and tied groups).
        draws: ``{site: [S, ...]}`` with the shapes of :mod:`pyrovae.analysis.mixed_membership`.
    """

    model: MixedMembership
    draws: dict[str, torch.Tensor]

    @classmethod
    def from_guide(cls, model: MixedMembership, guide, num_draws: int = 1000) -> "MixedMembershipPosterior":
        """``num_draws`` draws from a fitted guide (anything with ``draw(num_draws)``)."""
        if num_draws < 2:
            raise ConfigError(f"num_draws must be at least 2 for credible intervals, got {num_draws}")
        return cls(model, guide.draw(num_draws))

    @property
    def num_draws(self) -> int:
        return self.draws[WEIGHTS].shape[0]

    def group_weights(self) -> torch.Tensor:
        """``[S, G, P, K]``: every group's mixing weights (tied groups get the same draws)."""
        return self.draws[WEIGHTS][:, self.model.mixture_of_group]

    def chunks(self, num_points: int) -> Iterator[tuple[int, "MixedMembershipPosterior"]]:
        """``(start, part)``: the draws in consecutive parts small enough to evaluate at
        ``num_points`` observations at once (:data:`CHUNK_ELEMENTS`)."""
        per_draw = num_points * self.model.num_components * self.model.latent_dim
        size = max(1, CHUNK_ELEMENTS // max(1, per_draw))
        for start in range(0, self.num_draws, size):
            yield start, MixedMembershipPosterior(self.model, {name: value[start : start + size] for name, value in self.draws.items()})

    def block_log_likelihood(self, z: torch.Tensor, group: torch.Tensor) -> torch.Tensor:
        r"""``[S, N, P]``: :math:`\log q^{(s)}_{g_n}(z_{n,p})` for every draw, observation and block
        (nats). For many blocks this is large (``S N D`` values in the univariate model): iterate
        over :meth:`chunks` instead where only a reduction is needed."""
        self.model.check_data(z, group)
        return torch.cat([self.model.log_likelihood(part.draws, z, group) for _, part in self.chunks(z.shape[0])])

    def log_likelihood(self, z: torch.Tensor, group: torch.Tensor) -> torch.Tensor:
        r"""``[S, N]``: :math:`\log q^{(s)}_{g_n}(z_n)`, the blocks' log densities summed (the
        product of independent blocks), computed in chunks of draws."""
        self.model.check_data(z, group)
        return torch.cat([self.model.log_likelihood(part.draws, z, group).sum(-1) for _, part in self.chunks(z.shape[0])])

    def relabelled(self, order: torch.Tensor) -> "MixedMembershipPosterior":
        """The same posterior with components renamed: in block ``p``, component ``order[p, j]``
        becomes ``j`` (``order [P, K]``, or ``[K]`` for every block)."""
        K, P = self.model.num_components, self.model.num_blocks
        order = torch.as_tensor(order, dtype=torch.long).expand(P, K)
        if not torch.equal(order.sort(-1).values, torch.arange(K).expand(P, K)):
            raise ConfigError(f"order must be a permutation of the {K} components in every block, got {order.tolist()}")
        draws = {}
        for name, value in self.draws.items():
            if name == WEIGHTS:  # [S, W, P, K]
                draws[name] = value.gather(-1, order.expand(*value.shape[:2], P, K))
            else:  # [S, K, P, ...]
                index = order.T.reshape(1, K, P, *([1] * (value.dim() - 3)))
                draws[name] = value.gather(1, index.expand_as(value))
        return MixedMembershipPosterior(self.model, draws)

    def order_by_group(self, group: int) -> "MixedMembershipPosterior":
        """Relabel the components of each block by decreasing mean weight in ``group``: component
        0 is the group's largest."""
        mean = self.group_weights()[:, group].mean(0)  # [P, K]
        return self.relabelled(torch.argsort(mean, dim=-1, descending=True))
