r"""The variational family of the mixed-membership model: an explicit mean-field guide.

.. math::
    q(\theta, \mu, \sigma, \nu) = \prod_{w,p} \mathrm{Dirichlet}(\theta_{wp}; a_{wp})
        \prod_{k,p} \mathcal N(\mu_{kp}; m_{kp}, \operatorname{diag} s_{kp}^2)\,
        \mathrm{LogNormal}(\sigma_{kp}; \bar m_{kp}, \operatorname{diag} \bar s_{kp}^2)\,
        \mathrm{LogNormal}(\nu_{kp}; \tilde m_{kp}, \tilde s_{kp}^2)

Each factor lives on its site's support: the mixing weights get a **Dirichlet** (the conjugate
family: with well-separated components the exact posterior is
:math:`\mathrm{Dirichlet}(\alpha + n_{wp})`, :math:`n` the expected counts), scales and the
family's shape parameters (Student-t degrees of freedom) get **log-normals** (positive), locations
**normals**. Sampling is reparameterised (Dirichlet through implicit reparameterisation gradients,
Figurnov et al. 2018, arXiv:1805.08498); the discrete assignments are not in the guide: the ELBO
sums them out (``TraceEnum_ELBO``).

The guide is a plain :class:`torch.nn.Module` (no global Pyro parameter store), so several fits
in one process never share state. It is initialised from data: component locations from k-means++
with a few Lloyd iterations per block (Arthur & Vassilvitskii 2007), scales from the clusters'
spreads, weights from the clusters' counts per group. Mean-field variational posteriors are known
to underestimate posterior variance where parameters are correlated (Blei et al. 2017,
arXiv:1601.00670); credible intervals are therefore as wide as the guide allows, no wider.
"""

from __future__ import annotations

import math

import pyro
import pyro.distributions as dist
import torch
from torch import nn

from pyrovae.analysis.mixed_membership import (
    BLOCKS_PLATE,
    COMPONENTS_PLATE,
    LOC,
    MIXTURES_PLATE,
    SCALE,
    WEIGHTS,
    MixedMembership,
)

#: Lloyd iterations after the k-means++ seeding.
KMEANS_ITERATIONS = 10
#: At most this many observations are used for the initialisation.
KMEANS_MAX_POINTS = 10_000
#: Initial standard deviation of the normal and log-normal factors (in their own units).
INITIAL_SPREAD = 0.05
#: Initial median of the shape parameters (Student-t degrees of freedom).
INITIAL_SHAPE = 20.0


def kmeans(points: torch.Tensor, num_clusters: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """k-means++ seeding and :data:`KMEANS_ITERATIONS` Lloyd steps, independently per block.

    Args:
        points: ``[N, P, E]``.
        num_clusters: ``K``.

    Returns:
        ``centres [K, P, E]`` and ``labels [N, P]``. A cluster left empty keeps its centre.
    """
    n, num_blocks, _ = points.shape
    blocks = torch.arange(num_blocks)
    first = torch.randint(n, (num_blocks,), generator=generator)
    centres = [points[first, blocks]]  # each [P, E]
    for _ in range(1, num_clusters):
        nearest = torch.stack([((points - c) ** 2).sum(-1) for c in centres], -1).min(-1).values  # [N, P]
        weights = nearest.T + 1e-12  # [P, N]
        chosen = torch.multinomial(weights, 1, generator=generator).squeeze(-1)
        centres.append(points[chosen, blocks])
    centres = torch.stack(centres)  # [K, P, E]
    for _ in range(KMEANS_ITERATIONS):
        labels = ((points.unsqueeze(1) - centres) ** 2).sum(-1).argmin(1)  # [N, P]
        one_hot = nn.functional.one_hot(labels, num_clusters).to(points.dtype)  # [N, P, K]
        counts = one_hot.sum(0).T  # [K, P]
        sums = torch.einsum("npk,npe->kpe", one_hot, points)
        centres = torch.where(counts.unsqueeze(-1) > 0, sums / counts.clamp_min(1).unsqueeze(-1), centres)
    labels = ((points.unsqueeze(1) - centres) ** 2).sum(-1).argmin(1)
    return centres, labels


class MeanFieldGuide(nn.Module):
    """The mean-field guide of a :class:`MixedMembership` model, initialised from its data.

    Args:
        model: the model it approximates the posterior of.
        z: ``[N, D]`` observations; ``group``: ``[N]`` group indices.
        seed: seeds the k-means++ initialisation.

    Call it like the model (``guide(z, group, subsample_size)``); :meth:`distributions` gives the
    variational factors and :meth:`draw` samples parameters from them.
    """

    def __init__(self, model: MixedMembership, z: torch.Tensor, group: torch.Tensor, seed: int = 0) -> None:
        super().__init__()
        model.check_data(z, group)
        self.model = model
        K, W = model.num_components, model.num_mixtures
        generator = torch.Generator().manual_seed(seed)
        keep = torch.randperm(z.shape[0], generator=generator)[:KMEANS_MAX_POINTS]
        points = model.blocks(z[keep].detach())  # [N', P, E]
        centres, labels = kmeans(points, K, generator)
        one_hot = nn.functional.one_hot(labels, K).to(z.dtype)  # [N', P, K]
        counts = one_hot.sum(0).T.unsqueeze(-1)  # [K, P, 1]
        spread = torch.einsum("npk,npke->kpe", one_hot, (points.unsqueeze(2) - centres.transpose(0, 1)) ** 2)
        spread = (spread / counts.clamp_min(1)).sqrt()
        overall = points.std(0, unbiased=True).clamp_min(1e-3) if points.shape[0] > 1 else torch.ones_like(points[0])
        spread = torch.where((counts > 1) & (spread > 1e-3), spread, overall)  # [K, P, E]
        mixture = model.mixture_of_group[group[keep]]  # [N']
        per_mixture = torch.zeros(W, model.num_blocks, K, dtype=z.dtype).index_add_(0, mixture, one_hot)
        per_mixture = per_mixture * (z.shape[0] / max(1, len(keep)))
        log = math.log
        self.log_concentration = nn.Parameter((model.priors.concentration + per_mixture).log())
        self.loc_loc = nn.Parameter(centres.clone())
        self.loc_log_scale = nn.Parameter(torch.full_like(centres, log(INITIAL_SPREAD)))
        self.scale_loc = nn.Parameter(spread.log())
        self.scale_log_scale = nn.Parameter(torch.full_like(centres, log(INITIAL_SPREAD)))
        shape = (K, model.num_blocks)
        self.shape_loc = nn.ParameterDict(
            {name: nn.Parameter(torch.full(shape, log(INITIAL_SHAPE), dtype=z.dtype)) for name in model.family.shape_names}
        )
        self.shape_log_scale = nn.ParameterDict(
            {name: nn.Parameter(torch.full(shape, log(INITIAL_SPREAD), dtype=z.dtype)) for name in model.family.shape_names}
        )

    def distributions(self) -> dict[str, dist.Distribution]:
        """``{site: q}``: batch shapes ``[W, P]`` (weights, event ``[K]``), ``[K, P]`` (loc and
        scale with event ``[E]``, shape parameters scalar)."""
        factors = {
            WEIGHTS: dist.Dirichlet(self.log_concentration.exp()),
            LOC: dist.Normal(self.loc_loc, self.loc_log_scale.exp()).to_event(1),
            SCALE: dist.LogNormal(self.scale_loc, self.scale_log_scale.exp()).to_event(1),
        }
        for name in self.shape_loc:
            factors[name] = dist.LogNormal(self.shape_loc[name], self.shape_log_scale[name].exp())
        return factors

    def forward(self, z: torch.Tensor, group: torch.Tensor, subsample_size: int | None = None) -> None:
        factors = self.distributions()
        with pyro.plate(BLOCKS_PLATE, self.model.num_blocks, dim=-1):
            with pyro.plate(MIXTURES_PLATE, self.model.num_mixtures, dim=-2):
                pyro.sample(WEIGHTS, factors.pop(WEIGHTS))
            with pyro.plate(COMPONENTS_PLATE, self.model.num_components, dim=-2):
                for name, factor in factors.items():
                    pyro.sample(name, factor)

    @torch.no_grad()
    def draw(self, num_draws: int) -> dict[str, torch.Tensor]:
        """``num_draws`` independent parameter draws from the guide, each ``[S, ...]`` (shapes in
        :mod:`pyrovae.analysis.mixed_membership`). Uses torch's global random state."""
        return {name: factor.sample((num_draws,)) for name, factor in self.distributions().items()}
