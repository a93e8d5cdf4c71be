r"""Rate and distortion of any Pyro model/guide pair, read off a pair of traces.

For a model ``p(x, z)`` and guide ``q(z | x)`` the negative ELBO splits into

.. math::
    -\mathrm{ELBO} = \underbrace{-\mathbb{E}_q[\log p(x \mid z)]}_{\text{distortion } D}
                   + \underbrace{\mathrm{KL}(q(z \mid x) \,\|\, p(z))}_{\text{rate } R},

(Alemi et al., "Fixing a Broken ELBO", arXiv:1711.00464). :func:`rate_distortion` computes both
from one model trace replayed against one guide trace:

* **distortion** from the observed sites of the model: ``-sum log p(x | z)``;
* **rate** from each latent site shared by guide and model: the analytic
  ``kl_divergence(q, p)`` where one is registered (and ``analytic_kl`` is on), otherwise the
  single-sample Monte Carlo estimate ``log q(z) - log p(z)`` at the guide's draw (which includes
  any flow log-determinants). When both distributions factorise over the last dimension (an
  ``Independent`` of a univariate family), the rate is also given per dimension.

Every objective in :mod:`pyrovae.infer` and every metric in :mod:`pyrovae.metrics` uses this one
accounting, so they agree on what "rate" means. All terms are summed over the plates they live in
(and scaled like Pyro scales ``log_prob_sum``); :attr:`SiteRate.count` gives the number of plate
elements, so ``total / count`` is the rate per sentence in nats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from pyro.distributions import Independent
from pyro.distributions.util import is_identically_zero, scale_and_mask
from pyro.poutine import Trace
from pyro.poutine.util import site_is_subsample
from torch.distributions import kl_divergence

from pyrovae.errors import UnsupportedModelError


@dataclass
class SiteRate:
    """The rate contributed by one latent site.

    Attributes:
        name: the site name.
        total: scalar, summed over the site's plates, in nats.
        per_dim: ``[D]`` summed over plates, when posterior and prior factorise; else None.
        count: number of plate elements the total sums over (e.g. sentences x particles).
        analytic: whether the value is a closed-form KL (else a one-sample Monte Carlo estimate).
        values: the rate of each plate element (shape of the site's plates), before summing.
        sample: the guide's draw of the site, ``z ~ q(z | x)``.
        prior: the model's distribution at the site, ``p(z)`` (broadcast over its plates).
    """

    name: str
    total: torch.Tensor
    per_dim: torch.Tensor | None
    count: int
    analytic: bool
    values: torch.Tensor | None = None
    sample: torch.Tensor | None = None
    prior: object | None = None

    def require_per_dim(self) -> torch.Tensor:
        """``per_dim``, or a clear error when the posterior/prior pair does not factorise."""
        if self.per_dim is None:
            raise UnsupportedModelError(
                f"latent site {self.name!r} has no per-dimension rate: its posterior or prior does "
                "not factorise over dimensions (e.g. a normalizing-flow posterior or a mixture "
                "prior); use the total-rate variant of this objective instead"
            )
        return self.per_dim


@dataclass
class RateDistortion:
    """Distortion and per-site rates of one model/guide trace pair (nats, summed over plates)."""

    distortion: torch.Tensor
    rates: dict[str, SiteRate] = field(default_factory=dict)
    #: number of data points (plate elements of the observed sites) the distortion sums over.
    num_data: int = 1
    #: ``-log p(x | z)`` of each observed site, per plate element, before summing.
    distortion_values: list[torch.Tensor] = field(default_factory=list)
    #: an objective's own figures computed from these terms (e.g. InfoVAE's MMD), by name, for logs.
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    def per_data_point(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Distortion and rate of each data point (shape of the observed sites' plates), nats.

        Every site must live in the data plate: a global latent's rate cannot be attributed to
        single data points.
        """
        values = self.distortion_values + [site.values for site in self.rates.values()]
        shape = torch.broadcast_shapes(*(v.shape for v in values)) if values else torch.Size()
        for name, site in self.rates.items():
            if site.values.dim() < len(shape):
                raise UnsupportedModelError(
                    f"latent site {name!r} lies outside the data plate: its rate cannot be split "
                    "into per-data-point values"
                )
        zeros = torch.zeros(shape, device=self.distortion.device)
        distortion = sum((v.expand(shape) for v in self.distortion_values), zeros)
        rate = sum((site.values.expand(shape) for site in self.rates.values()), zeros)
        return distortion, rate

    @property
    def rate(self) -> torch.Tensor:
        """Total rate, summed over latent sites and plates."""
        total = torch.zeros((), device=self.distortion.device)
        for site in self.rates.values():
            total = total + site.total
        return total

    @property
    def elbo(self) -> torch.Tensor:
        """The ELBO, ``-(distortion + rate)``."""
        return -(self.distortion + self.rate)


def _plate_count(site: dict) -> int:
    count = 1
    for frame in site["cond_indep_stack"]:
        if frame.vectorized:
            count *= frame.size
    return count


def univariate_factor(fn) -> object | None:
    """The univariate base of a distribution factorising over its last dimension, else None."""
    while isinstance(fn, Independent) and fn.reinterpreted_batch_ndims == 1:
        base = fn.base_dist
        if base.event_shape == () and isinstance(base, torch.distributions.Distribution):
            return base
        fn = base
    return None


def _site_rate(name: str, guide_site: dict, model_site: dict, analytic_kl: bool) -> SiteRate:
    q, p = guide_site["fn"], model_site["fn"]
    q_factor, p_factor = univariate_factor(q), univariate_factor(p)
    per_dim = None
    kl = None
    if analytic_kl:
        try:
            if q_factor is not None and p_factor is not None:
                per_dim_kl = kl_divergence(q_factor, p_factor)
                per_dim = per_dim_kl
                kl = per_dim_kl.sum(-1)
            else:
                kl = kl_divergence(q, p)
        except NotImplementedError:
            kl, per_dim = None, None
    analytic = kl is not None
    if kl is None:
        z = guide_site["value"]
        if q_factor is not None and p_factor is not None:
            per_dim = q_factor.log_prob(z) - p_factor.log_prob(z)
            kl = per_dim.sum(-1)
        else:
            kl = guide_site["unscaled_log_prob"] - model_site["unscaled_log_prob"]
    scale, mask = guide_site["scale"], guide_site["mask"]
    values = scale_and_mask(kl, scale=scale, mask=mask)
    total = values.sum()
    if per_dim is not None:
        dims_mask = None if mask is None else mask.unsqueeze(-1)
        dims_scale = scale.unsqueeze(-1) if torch.is_tensor(scale) and scale.dim() else scale
        per_dim = scale_and_mask(per_dim, scale=dims_scale, mask=dims_mask)
        per_dim = per_dim.reshape(-1, per_dim.shape[-1]).sum(0)
    return SiteRate(
        name, total, per_dim, _plate_count(guide_site), analytic, values, guide_site["value"], model_site["fn"]
    )


def rate_distortion(model_trace: Trace, guide_trace: Trace, analytic_kl: bool = True) -> RateDistortion:
    """Split a replayed model trace and its guide trace into distortion and rates.

    Both traces must have log-probabilities computed (as ``get_importance_trace`` leaves them).
    Guide sites must be reparameterised: pyrovae objectives use pathwise gradients.
    """
    distortion = None
    num_data = 1
    rates: dict[str, SiteRate] = {}
    distortion_values: list[torch.Tensor] = []
    for name, site in model_trace.nodes.items():
        if site["type"] != "sample" or site_is_subsample(site):
            continue
        if site["is_observed"]:
            term = -site["log_prob_sum"]
            distortion = term if distortion is None else distortion + term
            distortion_values.append(-site["log_prob"])
            num_data = max(num_data, _plate_count(site))
        elif name in guide_trace.nodes:
            guide_site = guide_trace.nodes[name]
            score_function = guide_site["score_parts"].score_function
            if not is_identically_zero(score_function):
                raise UnsupportedModelError(
                    f"latent site {name!r} is not reparameterisable ({type(guide_site['fn']).__name__}): "
                    "pyrovae objectives use pathwise gradients; use a reparameterisable guide or "
                    "pyro.infer.TraceGraph_ELBO for score-function gradients"
                )
            rates[name] = _site_rate(name, guide_site, site, analytic_kl)
    if distortion is None:  # a latent-only program: its data points are the latent plates
        num_data = max((site.count for site in rates.values()), default=1)
        device = next((site.total.device for site in rates.values()), None)
        distortion = torch.zeros((), device=device)
    return RateDistortion(distortion, rates, num_data, distortion_values)
