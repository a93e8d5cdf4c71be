r"""Total correlation and dimension-wise KL: the marginal-KL split of Chen et al. (2018).

For a factorised prior :math:`p(z) = \prod_d p(z_d)` the marginal KL splits as

.. math::
    \mathrm{KL}(q(z) \,\|\, p(z))
    = \underbrace{\mathrm{KL}\Big(q(z) \,\Big\|\, \prod_d q(z_d)\Big)}_{\text{total correlation}}
    + \underbrace{\sum_d \mathrm{KL}(q(z_d) \,\|\, p(z_d))}_{\text{dimension-wise KL}},

so that :math:`R = I_q(n; z) + \mathrm{TC} + \text{dimension-wise KL}` (Chen et al. 2018, eq. 2;
Barkhof 2021, section 2.2.2). The total correlation measures the dependence between the
coordinates of the aggregate posterior; the dimension-wise KL how far each coordinate's marginal is
from the prior's.

**Estimator.** With the ancestral codes :math:`z_n \sim q(z \mid x_n)` and the exact mixtures
over all ``N`` sentences (not Chen et al.'s minibatch-weighted sampling: the whole set is scored),

.. math::
    \widehat{\mathrm{TC}} = \frac1N \sum_n \Big[\log \hat q(z_n) - \sum_d \log \hat q(z_{n,d})\Big],
    \qquad
    \widehat{\mathrm{KL}}_{\text{dim}} = \frac1N \sum_n \sum_d \big[\log \hat q(z_{n,d}) - \log p(z_{n,d})\big],

with :math:`\hat q(z_d) = \frac1N \sum_m q(z_d \mid x_m)` the mixture of the components'
one-dimensional marginals. Both are unbiased for the empirical aggregate posterior; their sum
estimates the marginal KL by plain Monte Carlo, so it differs from the control-variate estimate
of :mod:`pyrovae.metrics.marginal_kl` by zero-mean noise. The same :math:`\log N` ceiling
applies to the joint mixture term :math:`\log \hat q(z_n)` (an upward bias of TC when the rate
exceeds :math:`\log N`).

The components need closed-form one-dimensional marginals (factorised posteriors, full-covariance
Gaussians) and the prior must factorise; otherwise :class:`~pyrovae.errors.UnsupportedModelError`.

Reference: Chen, Li, Grosse & Duvenaud, "Isolating Sources of Disentanglement in Variational
Autoencoders", NeurIPS 2018 (arXiv:1802.04942).
"""

from __future__ import annotations

import torch

from pyrovae.diagnostics.latent_sample import LatentSample
from pyrovae.errors import UnsupportedModelError
from pyrovae.metrics.aggregate_posterior import univariate_marginals
from pyrovae.metrics.estimate import Estimate


def prior_marginal_log_prob(sample: LatentSample) -> torch.Tensor:
    """``[N, D]`` float64: :math:`\\log p(z_{n,d})` under a factorised prior.

    Raises:
        UnsupportedModelError: the prior does not factorise over dimensions.
    """
    marginals = univariate_marginals(sample.prior)
    if marginals is None or not isinstance(sample.prior, torch.distributions.Independent):
        raise UnsupportedModelError(
            f"the total correlation / dimension-wise KL split needs a factorised prior "
            f"p(z) = prod_d p(z_d); {type(sample.prior).__name__} does not factorise"
        )
    return marginals.log_prob(sample.codes).double()


def total_correlation(sample: LatentSample) -> dict[str, Estimate]:
    """``{"total_correlation", "dimensionwise_kl"}`` in nats (see the module docstring).

    Raises:
        UnsupportedModelError: the prior does not factorise, the posterior has no closed-form
            marginals, or it cannot score codes drawn for other sentences.
    """
    prior_terms = prior_marginal_log_prob(sample)
    marginal_terms = sample.aggregate_marginal_log_density
    return {
        "total_correlation": Estimate.from_samples(
            sample.aggregate_log_density - marginal_terms.sum(-1), "nats"
        ),
        "dimensionwise_kl": Estimate.from_samples((marginal_terms - prior_terms).sum(-1), "nats"),
    }


def dimensionwise_kl_per_dimension(sample: LatentSample) -> torch.Tensor:
    """``[D]`` float64: :math:`\\widehat{\\mathrm{KL}}(q(z_d) \\| p(z_d))` of each dimension, nats."""
    return (sample.aggregate_marginal_log_density - prior_marginal_log_prob(sample)).mean(0)
