r"""Active units: latent dimensions whose posterior mean varies with the data.

Burda et al. ("Importance Weighted Autoencoders", arXiv:1509.00519) call dimension ``u`` active
when

.. math:: A_u = \operatorname{Cov}_x\big(\mathbb{E}_{u \sim q(u \mid x)}[u]\big) > 0.01,

the variance over data points of the posterior mean. Text-VAE papers use the same statistic
(He et al., "Lagging Inference Networks and Posterior Collapse in Variational Autoencoders",
arXiv:1901.05534). Here the variance is the unbiased sample variance (``ddof=1``, divisor
``N - 1``), as in He et al.'s released code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch
from pyro.distributions import Distribution

from pyrovae.errors import DataError
from pyrovae.metrics.aggregate_posterior import guide_args, guide_posterior

#: Threshold of Burda et al. 2016 on the variance of the posterior mean.
DEFAULT_THRESHOLD = 0.01

#: Draws per data point of the Monte Carlo mean, for posteriors without an analytic mean
#: (normalizing flows): its standard error is the posterior's standard deviation / 16.
MC_MEAN_SAMPLES = 256


@dataclass(frozen=True)
class ActiveUnits:
    """Result of :func:`active_units`.

    Attributes:
        count: number of active dimensions (units).
        variances: ``[D]`` variance over data points of each dimension's posterior mean
            (``ddof=1``), in squared units of ``z``.
        threshold: the activity threshold used.
    """

    count: int
    variances: torch.Tensor
    threshold: float

    @property
    def active(self) -> torch.Tensor:
        """``BoolTensor [D]``: which dimensions are active."""
        return self.variances > self.threshold


def active_units(
    posterior_means: torch.Tensor, threshold: float = DEFAULT_THRESHOLD
) -> ActiveUnits:
    r"""Count the dimensions ``d`` with :math:`\operatorname{Var}_n(\mu_{n,d}) > \text{threshold}`.

    Args:
        posterior_means: ``[N, D]``, :math:`\mu_n = \mathbb{E}_{q(z \mid x_n)}[z]`.
        threshold: the activity threshold (0.01 in Burda et al. 2016).

    Raises:
        DataError: fewer than two data points (the variance is undefined).
    """
    if posterior_means.dim() != 2:
        raise ValueError(f"posterior_means must be [N, D], got {tuple(posterior_means.shape)}")
    if posterior_means.shape[0] < 2:
        raise DataError(
            f"active units need the posterior means of at least 2 data points, got "
            f"{posterior_means.shape[0]}"
        )
    variances = posterior_means.detach().double().var(dim=0, correction=1)
    return ActiveUnits(int((variances > threshold).sum()), variances, threshold)


@torch.no_grad()
def posterior_mean(q: Distribution, num_samples: int = MC_MEAN_SAMPLES) -> torch.Tensor:
    """``q.mean`` when the distribution has one, else the mean of ``num_samples`` draws."""
    try:
        return q.mean
    except NotImplementedError:
        return q.sample((num_samples,)).mean(0)


@torch.no_grad()
def posterior_means(
    guide: Callable,
    batches: Iterable[Any],
    site: str | None = None,
    num_samples: int = MC_MEAN_SAMPLES,
) -> torch.Tensor:
    """``[N, D]`` posterior means ``E_q[z | x_n]`` of the guide's latent site over a loader.

    Each loader item is passed to ``guide`` (a tuple is unpacked into arguments). The caller
    chooses the mode of the guide's modules (evaluation mode for metrics).
    """
    means = [
        posterior_mean(guide_posterior(guide, *guide_args(b), site=site), num_samples)
        for b in batches
    ]
    if not means:
        raise DataError("posterior means need at least one batch of data")
    return torch.cat(means)


class RunningActiveUnits:
    """Active units from posterior means seen batch by batch (sums in float64, mergeable across
    processes): ``add`` each batch's means, ``all_reduce_sum`` the :meth:`packed` sums under DDP,
    then :meth:`count` applies Burda et al.'s threshold to the variance (``ddof=1``)."""

    def __init__(self) -> None:
        self.sums: torch.Tensor | None = None

    def add(self, means: torch.Tensor) -> None:
        """Posterior means ``[B, D]`` of one batch."""
        means = means.detach().double()
        rows = torch.stack([means.sum(0), means.square().sum(0), torch.full_like(means[0], means.shape[0])])
        self.sums = rows if self.sums is None else self.sums + rows

    def packed(self) -> torch.Tensor | None:
        """``[3, D]``: sum, sum of squares and count per dimension (None before any batch)."""
        return self.sums

    @staticmethod
    def count(sums: torch.Tensor, threshold: float = DEFAULT_THRESHOLD) -> int:
        """Active dimensions of the (reduced) :meth:`packed` sums."""
        total, squares, n = sums
        variances = (squares - total.square() / n) / (n - 1).clamp(min=1)
        return int((variances > threshold).sum())
