r"""Mutual information between data and code under the encoder's joint distribution.

Under :math:`q(x, z) = p_{\text{data}}(x)\, q(z \mid x)` (Hoffman & Johnson 2016, "ELBO surgery";
He et al., "Lagging Inference Networks and Posterior Collapse in Variational Autoencoders",
arXiv:1901.05534)

.. math::
    I_q(x; z) = \mathbb{E}_{x}\, \mathbb{E}_{q(z \mid x)}\big[\log q(z \mid x) - \log q(z)\big].

The estimator draws ``S`` codes :math:`z_{n,s} \sim q(z \mid x_n)` for each of the ``N``
evaluation points and replaces :math:`q(z)` by the mixture over **all** ``N`` points
(:class:`~pyrovae.metrics.aggregate_posterior.AggregatePosterior`, not a per-batch mixture):

.. math::
    \hat I = \frac{1}{N} \sum_n \frac{1}{S} \sum_s
        \Big[\log q(z_{n,s} \mid x_n) - \log \tfrac{1}{N} \textstyle\sum_m q(z_{n,s} \mid x_m)\Big].

Bias, stated carefully:

* The mixture contains the point's own component, so
  :math:`\log \hat q(z_{n,s}) \ge \log q(z_{n,s} \mid x_n) - \log N`: every term, hence
  :math:`\hat I`, is at most :math:`\log N`. The estimator saturates near :math:`\log N`.
* Taken as an estimate of the MI of the **empirical** joint (``x`` uniform over the ``N``
  points), the mixture is the exact marginal and :math:`\hat I` is unbiased (Monte Carlo error
  over ``z`` only).
* Taken as an estimate of the MI under the **population** data distribution, :math:`\hat I` is
  the InfoNCE bound with critic :math:`q(z \mid x)` (van den Oord et al. 2018, arXiv:1807.03748;
  Poole et al. 2019, arXiv:1905.06922): in expectation it is a *lower* bound on :math:`I_q`, its
  downward bias coming from the own component inflating :math:`\hat q(z_{n,s})`; the bias is
  small when :math:`e^{I_q} \ll N` and large when :math:`I_q` approaches :math:`\log N`.

The reported standard error treats the ``N`` per-point terms as independent; they share the
mixture, so it ignores that (weak, :math:`O(1/N)`) dependence.
"""

from __future__ import annotations

from pyrovae.errors import ConfigError
from pyrovae.metrics.aggregate_posterior import AggregatePosterior
from pyrovae.metrics.estimate import Estimate


def mutual_information(posterior: AggregatePosterior, samples_per_point: int = 1) -> Estimate:
    r"""Estimate :math:`I_q(x; z)` in nats from the aggregate posterior of an evaluation set.

    Args:
        posterior: the guide's posteriors over all ``N`` evaluation points.
        samples_per_point: ``S``, codes drawn from each :math:`q(z \mid x_n)`.

    Returns:
        An :class:`Estimate` in nats: the mean over data points of the per-point terms (each
        averaged over its ``S`` codes), with the standard error over data points.
    """
    if samples_per_point < 1:
        raise ConfigError(f"samples_per_point must be at least 1, got {samples_per_point}")
    z = posterior.sample(samples_per_point)  # [S, N, D]
    own = posterior.conditional_log_prob(z)  # [S, N]
    marginal = posterior.log_density(z.reshape(-1, z.shape[-1])).view(own.shape)
    return Estimate.from_samples((own - marginal).mean(0), "nats")
