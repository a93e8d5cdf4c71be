r"""The aggregate posterior ``q(z)`` of an amortised guide over an evaluation set.

For data points :math:`x_1, \dots, x_N` the aggregate posterior (Makhzani et al. 2015; Hoffman &
Johnson 2016, "ELBO surgery") is the mixture of the per-point posteriors

.. math:: q(z) = \frac{1}{N} \sum_{n=1}^N q(z \mid x_n),
    \qquad \log q(z) = \operatorname{logsumexp}_n \log q(z \mid x_n) - \log N,

the marginal of ``z`` under the encoder's joint :math:`q(x, z) = p_{\text{data}}(x) q(z \mid x)`
with the empirical data distribution. :class:`AggregatePosterior` stores one distribution per
batch (batch shape ``[B]``, event shape ``[D]``) and evaluates or samples this mixture; it serves
mutual information (:mod:`pyrovae.metrics.mutual_information`) and the latent-space diagnostics
of :mod:`pyrovae.diagnostics` (marginal KL, total correlation, moments).

Its one-dimensional marginals :math:`q(z_d) = \frac1N \sum_n q(z_d \mid x_n)` and its moments
(law of total covariance, :meth:`AggregatePosterior.moments`) are exact whenever the components
have closed-form marginals and moments (factorised posteriors, full-covariance Gaussians).

Scoring a point drawn elsewhere needs ``log q(z | x_n)`` at arbitrary ``z``: posteriors that
cannot do that (planar flows, whose inverse is not available) are rejected.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Sequence

import torch
from pyro import poutine
from pyro.distributions import Distribution
from pyro.poutine.util import site_is_subsample
from torch import nn
from torch.distributions import Independent, MultivariateNormal, Normal

from pyrovae.errors import DataError, UnsupportedModelError
from pyrovae.latent.posterior import Posterior

NOT_FINITE_AT_FOREIGN_POINTS = (
    "log q(z | x_n) at codes drawn for other sentences is not finite: the posterior's inverse "
    "overflowed (e.g. a stable IAF whose gates are near 0), so the aggregate posterior cannot be "
    "scored; use the affine IAF or a Gaussian posterior"
)

#: Rows of ``z`` scored at once against one stored batch in :meth:`AggregatePosterior.log_density`.
SCORE_CHUNK = 4096


def guide_args(batch: Any) -> tuple:
    """The positional arguments a guide gets for one loader item: a tuple is unpacked."""
    return batch if isinstance(batch, tuple) else (batch,)


def latent_sites(guide: Callable, *args, **kwargs) -> dict[str, Distribution]:
    """``{name: q}`` for every latent (sampled, unobserved) site of one run of ``guide``."""
    with torch.no_grad():
        trace = poutine.trace(guide).get_trace(*args, **kwargs)
    return {
        name: site["fn"]
        for name, site in trace.nodes.items()
        if site["type"] == "sample"
        and not site_is_subsample(site)
        and not site["is_observed"]
        and not site["infer"].get("_deterministic", False)
    }


def guide_posterior(guide: Callable, *args, site: str | None = None, **kwargs) -> Distribution:
    """The guide's distribution ``q(z | x_b)`` of its latent site, batch shape ``[B]``.

    Args:
        site: the latent site's name; needed only when the guide has several.

    Raises:
        UnsupportedModelError: the guide has no latent site, several and ``site`` is None, or
            the site's distribution is not one vector-valued variable per data point.
    """
    sites = latent_sites(guide, *args, **kwargs)
    if site is None:
        if len(sites) != 1:
            raise UnsupportedModelError(
                f"the guide has {len(sites)} latent sites {sorted(sites)}; this metric needs "
                "exactly one (or pass site=... to choose it)"
            )
        (site,) = sites
    if site not in sites:
        raise UnsupportedModelError(
            f"the guide has no latent site {site!r}; it has {sorted(sites)}"
        )
    fn = sites[site]
    if len(fn.event_shape) != 1 or len(fn.batch_shape) > 1:
        raise UnsupportedModelError(
            f"this needs one code vector per sentence (batch shape [B], event shape [D]), but latent site "
            f"{site!r} has batch shape {tuple(fn.batch_shape)} and event shape {tuple(fn.event_shape)}"
            + (" (a set of vectors per sentence)" if len(fn.event_shape) == 2 else "")
        )
    return fn.expand((1,)) if len(fn.batch_shape) == 0 else fn


def univariate_marginals(distribution: Distribution) -> Distribution | None:
    """The one-dimensional marginals of a distribution over :math:`\\mathbb{R}^D`, or None.

    Returns a distribution with batch shape ``batch_shape + (D,)`` and event shape ``()`` whose
    ``log_prob`` (and ``cdf``, where the family has one) act on each coordinate: the base of a
    factorised distribution (an ``Independent`` over the last dimension of a univariate family),
    or ``Normal(loc_d, sqrt(Sigma_dd))`` for a full-covariance Gaussian. None when the marginals
    have no closed form (normalizing flows, mixtures).
    """
    if isinstance(distribution, Independent) and distribution.reinterpreted_batch_ndims == 1:
        base = distribution.base_dist
        return base if base.event_shape == () else None
    if isinstance(distribution, MultivariateNormal):
        return Normal(distribution.loc, distribution.covariance_matrix.diagonal(dim1=-2, dim2=-1).sqrt())
    return None


def distribution_moments(distribution: Distribution) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``[..., D]`` and covariance ``[..., D, D]`` (float64) of a distribution over R^D.

    Raises:
        UnsupportedModelError: the distribution has no closed-form covariance (only
            full-covariance Gaussians and factorised distributions have one here).
    """
    try:
        if isinstance(distribution, MultivariateNormal):
            return distribution.loc.double(), distribution.covariance_matrix.double()
        if univariate_marginals(distribution) is not None:
            return distribution.mean.double(), torch.diag_embed(distribution.variance.double())
    except NotImplementedError:
        pass
    raise UnsupportedModelError(
        f"{type(distribution).__name__} has no closed-form mean and covariance; estimate them "
        "from samples instead"
    )


def _owners(guide: Callable) -> list[nn.Module]:
    owner = getattr(guide, "__self__", guide)
    return [owner] if isinstance(owner, nn.Module) else []


def check_scores_any_point(guide: Callable) -> None:
    """Raise unless every :class:`Posterior` behind ``guide`` can score foreign points.

    The posteriors are found among the submodules of the module that ``guide`` is a method of
    (or that ``guide`` is); plain functions pass.

    Raises:
        UnsupportedModelError: for a posterior with ``scores_any_point = False``.
    """
    for owner in _owners(guide):
        for module in owner.modules():
            if isinstance(module, Posterior) and not module.scores_any_point:
                raise UnsupportedModelError(
                    f"the posterior {type(module).__name__} cannot score points it did not draw "
                    "itself (planar flows have no inverse), so log q(z | x_n) at another data "
                    "point's code, the aggregate posterior and mutual information are undefined; "
                    "use an invertible flow (IAF) or a Gaussian posterior"
                )


class AggregatePosterior:
    r"""The mixture :math:`q(z) = \frac1N \sum_n q(z \mid x_n)` over stored per-batch posteriors.

    Build it with :meth:`collect` from a guide and a loader, or from distributions directly.
    Data points are indexed ``n = 0 .. N-1`` in the order of the batches.

    Args:
        distributions: one distribution per batch, batch shape ``[B_i]``, event shape ``[D]``.
    """

    def __init__(self, distributions: Sequence[Distribution]) -> None:
        if not distributions:
            raise DataError("the aggregate posterior needs at least one batch of data")
        dims = {tuple(d.event_shape) for d in distributions}
        if len(dims) != 1 or any(len(d.batch_shape) != 1 for d in distributions):
            raise UnsupportedModelError(
                "every stored posterior must have batch shape [B] and the same event shape [D]; "
                f"got event shapes {sorted(dims)}"
            )
        self.distributions = list(distributions)

    @classmethod
    def collect(
        cls, guide: Callable, batches: Iterable[Any], site: str | None = None
    ) -> "AggregatePosterior":
        """Run ``guide`` on every loader item (a tuple is unpacked into arguments) and keep
        ``q(z | x)`` of its latent site ``site`` (the only one by default).

        The caller chooses the mode of the guide's modules (evaluation mode for metrics).

        Raises:
            UnsupportedModelError: see :func:`check_scores_any_point` and :func:`guide_posterior`.
        """
        check_scores_any_point(guide)
        return cls([guide_posterior(guide, *guide_args(b), site=site) for b in batches])

    @property
    def num_points(self) -> int:
        """``N``, the number of data points (mixture components)."""
        return sum(d.batch_shape[0] for d in self.distributions)

    @property
    def latent_dim(self) -> int:
        return self.distributions[0].event_shape[0]

    @torch.no_grad()
    def log_density(self, z: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        r"""``[M]``: :math:`\log q(z_m) = \operatorname{logsumexp}_n \log q(z_m | x_n) - \log N`.

        Args:
            z: ``[M, D]`` points.
            dtype: of the result; by default that of the component log-densities.

        Returns:
            Log densities in nats (per unit of ``z``-volume), accumulated in float64 and cast
            to ``dtype``.
        """
        if z.dim() != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"z must be [M, {self.latent_dim}], got {tuple(z.shape)}")
        parts = [self._log_density_rows(rows) for rows in z.split(SCORE_CHUNK)]
        total, component_dtype = torch.cat([p for p, _ in parts]), parts[0][1]
        return (total - math.log(self.num_points)).to(dtype or component_dtype)

    def _log_density_rows(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.dtype]:
        """Float64 :math:`\\operatorname{logsumexp}_n \\log q(z_m | x_n)` and the components' dtype."""
        total = None
        dtype = None
        for q in self.distributions:
            points = z.unsqueeze(-2).expand(z.shape[0], q.batch_shape[0], z.shape[-1])
            try:
                log_q = q.log_prob(points)  # [M, B]: z_m scored under every component of the batch
            except ValueError as error:  # argument validation: an inverse overflowed to inf/nan
                raise UnsupportedModelError(NOT_FINITE_AT_FOREIGN_POINTS) from error
            if not torch.isfinite(log_q).all():
                raise UnsupportedModelError(NOT_FINITE_AT_FOREIGN_POINTS)
            dtype = log_q.dtype
            part = torch.logsumexp(log_q.double(), -1)
            total = part if total is None else torch.logaddexp(total, part)
        return total, dtype

    @torch.no_grad()
    def marginal_log_density(self, z: torch.Tensor) -> torch.Tensor:
        r"""``[M, D]``: :math:`\log q(z_{m,d}) = \operatorname{logsumexp}_n \log q(z_{m,d} \mid x_n)
        - \log N`, each coordinate under the mixture of the components' one-dimensional marginals.

        Float64 accumulation, as :meth:`log_density`.

        Raises:
            UnsupportedModelError: a component has no closed-form marginals
                (see :func:`univariate_marginals`).
        """
        if z.dim() != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"z must be [M, {self.latent_dim}], got {tuple(z.shape)}")
        marginals = [univariate_marginals(q) for q in self.distributions]
        if any(m is None for m in marginals):
            raise UnsupportedModelError(
                f"the posterior {type(self.distributions[0]).__name__} has no closed-form "
                "one-dimensional marginals (it does not factorise over dimensions and is not a "
                "Gaussian), so the marginals q(z_d) of the aggregate posterior are not available"
            )
        parts = []
        for rows in z.split(SCORE_CHUNK):
            total = None
            for marginal in marginals:
                # [M, B, D] in the components' precision: a logsumexp over one stored batch is
                # accurate there; the sum over the N / B batches is accumulated in float64.
                part = torch.logsumexp(marginal.log_prob(rows.unsqueeze(-2)), -2).double()
                total = part if total is None else torch.logaddexp(total, part)
            parts.append(total)
        return torch.cat(parts) - math.log(self.num_points)

    @torch.no_grad()
    def moments(self) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Exact mean ``[D]`` and covariance ``[D, D]`` (float64) of the mixture :math:`q(z)`.

        By the law of total covariance, with :math:`\mu_n, \Sigma_n` the moments of
        :math:`q(z \mid x_n)`,

        .. math:: \mathbb{E}[z] = \bar\mu = \frac1N \sum_n \mu_n, \qquad
            \operatorname{Cov}[z] = \frac1N \sum_n \Sigma_n
                + \frac1N \sum_n (\mu_n - \bar\mu)(\mu_n - \bar\mu)^\top.

        Raises:
            UnsupportedModelError: the components have no closed-form covariance.
        """
        means, covariances = zip(*(distribution_moments(q) for q in self.distributions))
        mu = torch.cat(means)
        centred = mu - mu.mean(0)
        within = torch.cat(covariances).mean(0)
        return mu.mean(0), within + centred.T @ centred / mu.shape[0]

    @torch.no_grad()
    def sample(self, per_point: int = 1) -> torch.Tensor:
        """``[per_point, N, D]``: ``per_point`` draws from ``q(z | x_n)`` for every ``n``."""
        return torch.cat([q.sample((per_point,)) for q in self.distributions], dim=1)

    @torch.no_grad()
    def conditional_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        r"""``[..., N]``: :math:`\log q(z_{\ldots, n} \mid x_n)`, each point under its own
        component.

        Args:
            z: ``[..., N, D]``, e.g. the output of :meth:`sample`.
        """
        sizes = [q.batch_shape[0] for q in self.distributions]
        if z.dim() < 2 or z.shape[-2] != sum(sizes):
            raise ValueError(f"z must be [..., {sum(sizes)}, D], got {tuple(z.shape)}")
        parts = z.split(sizes, dim=-2)
        return torch.cat([q.log_prob(part) for q, part in zip(self.distributions, parts)], dim=-1)
