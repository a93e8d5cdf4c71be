r"""Marginal KL and index-code mutual information: the rate split of Hoffman & Johnson (2016).

This module is the one home of the marginal KL :math:`\mathrm{KL}(q(z)\,\|\,p(z))` in pyrovae:
its definition, the split of the rate it belongs to, and the two estimators built on it:
:func:`mixture_marginal_kl` (the aggregate posterior as the mixture of the encoder's posteriors,
used by ``diagnose``, ``evaluate`` and the training monitor) and :func:`bootstrap_marginal_kl`
(the aggregate posterior as a fitted density model, with Bayesian-bootstrap weights over the
codes, used by the analysis of :mod:`pyrovae.analysis.density`).

The average rate over an evaluation set splits exactly into two terms ("ELBO surgery"):

.. math::
    \underbrace{\frac1N \sum_n \mathrm{KL}(q(z \mid x_n) \,\|\, p(z))}_{\text{rate } R}
    = \underbrace{I_q(n; z)}_{\text{index-code MI}}
    + \underbrace{\mathrm{KL}(q(z) \,\|\, p(z))}_{\text{marginal KL}},

with :math:`q(z) = \frac1N \sum_n q(z \mid x_n)` the aggregate posterior (Barkhof 2021,
eq. 2.25 and eqs. 4.7-4.11: the marginal KL is the gap between the rate and the mutual
information, and it should stay small for generation from the prior and for approximate
inference to be trustworthy).

**Mixture estimator.** With one ancestral code :math:`z_n \sim q(z \mid x_n)` per sentence and the
mixture over all ``N`` sentences,

.. math::
    \hat I_n = \log q(z_n \mid x_n) - \log \hat q(z_n), \qquad
    \log \hat q(z) = \operatorname{logsumexp}_m \log q(z \mid x_m) - \log N,

    \widehat{\mathrm{KL}}_n = R_n - \hat I_n,

where :math:`R_n` is the sentence's (analytic) rate. :math:`\widehat{\mathrm{KL}}_n` equals the
plain Monte Carlo term :math:`\log \hat q(z_n) - \log p(z_n)` plus the zero-mean control variate
:math:`R_n - (\log q(z_n \mid x_n) - \log p(z_n))`, which removes the sampling noise of
:math:`\log q(z_n \mid x_n) - \log p(z_n)`; and the two estimates add up to the rate exactly, sentence
by sentence. Both are means over sentences with their standard errors.

**The log N bound** (Barkhof 2021, eq. 4.12). The mixture contains the sentence's own
component, :math:`\sum_m q(z_n \mid x_m) \ge q(z_n \mid x_n)`, so

.. math::
    \hat I_n = \log N - \log \sum_m \frac{q(z_n \mid x_m)}{q(z_n \mid x_n)} \le \log N,
    \qquad \hat I \le \log N, \qquad \widehat{\mathrm{KL}} \ge \hat R - \log N.

When the rate exceeds :math:`\log N` (a well-used code on a small set) the MI estimate saturates
near :math:`\log N` and the marginal KL estimate mostly reflects the bound, not the geometry of
:math:`q(z)`; the result then carries a note. Use more sentences, or the MMD and KS statistics,
which have no such ceiling.

**Bias.** For the *empirical* aggregate posterior (the mixture over these ``N`` sentences) both
estimates are unbiased: the only error is the Monte Carlo error over codes. For the *population*
aggregate posterior, :math:`\hat I` is the InfoNCE bound (van den Oord et al. 2018; Poole et al.
2019) and is biased downwards (its own component inflates :math:`\hat q(z_n)`), so
:math:`\widehat{\mathrm{KL}}` is biased upwards by the same amount, small when
:math:`e^{I} \ll N` and large near :math:`\log N`.

**Bootstrap estimator.** Given :math:`S` draws of a density :math:`q^{(s)}` fitted to the codes
(e.g. the posterior draws of a mixed-membership model) and each code's :math:`\log p(z_n)`,

.. math:: \widehat{\mathrm{KL}}^{(s)} = \sum_n w^{(s)}_n \big[\log q^{(s)}(z_n) - \log p(z_n)\big],
    \qquad w^{(s)} \sim \mathrm{Dirichlet}(\mathbf 1_N),

the Bayesian bootstrap (Rubin 1981, "The Bayesian Bootstrap", Ann. Stat. 9(1)) of
:math:`\mathbb E_{q}[\log q - \log p]`, whose spread carries both the density's uncertainty and
the finite sample of codes; :math:`\hat I^{(s)} = \sum_n w^{(s)}_n (R_n - \log q^{(s)}(z_n) + \log
p(z_n))` with the same weights. A poorly fitting density *under*-estimates the KL (by
:math:`\mathrm{KL}(q\,\|\,\tilde q)`); see :mod:`pyrovae.analysis.density` for the other biases.

References: Hoffman & Johnson, "ELBO surgery: yet another way to carve up the variational evidence
lower bound" (NIPS 2016 Workshop on Advances in Approximate Bayesian Inference); Barkhof, "Taking a
step back: assessing the TransformerVAE as a latent variable model first" (MSc thesis, University
of Amsterdam, 2021), sections 2.2.2 and 4.2.
"""

from __future__ import annotations

import math

import torch

from pyrovae.errors import DataError
from pyrovae.metrics.estimate import Estimate

#: Within this many nats of :math:`\log N`, the MI estimate is taken to be saturated.
SATURATION_MARGIN = 1.0


def mixture_marginal_kl(
    own_log_prob: torch.Tensor, aggregate_log_density: torch.Tensor, rates: torch.Tensor
) -> dict[str, Estimate]:
    r"""``{"marginal_kl", "index_code_mi"}`` in nats by the mixture estimator (module docstring).

    Args:
        own_log_prob: ``[N]`` :math:`\log q(z_n \mid x_n)` of each sentence's own code.
        aggregate_log_density: ``[N]`` :math:`\log \hat q(z_n)` under the mixture of all ``N`` posteriors.
        rates: ``[N]`` each sentence's rate :math:`R_n` (nats).
    """
    n = own_log_prob.shape[0]
    information = own_log_prob.double() - aggregate_log_density.double()
    divergence = rates.double() - information
    mi = Estimate.from_samples(information, "nats")
    note = None
    log_n = math.log(n)
    if mi.value > log_n - SATURATION_MARGIN:
        floor = float(rates.double().mean()) - log_n
        note = (
            f"the index-code MI estimate {mi.value:.2f} is near its ceiling log N = {log_n:.2f} "
            f"(N = {n} sentences): the marginal KL cannot be estimated below rate - log N = {floor:.2f} "
            "here and mostly reflects that bound; use more sentences or compare MMD and KS"
        )
        mi = Estimate(mi.value, mi.stderr, mi.unit, f"at most log N = {log_n:.2f}")
    return {"marginal_kl": Estimate.from_samples(divergence, "nats", note), "index_code_mi": mi}


def bootstrap_weights(draws: int, points: int, generator: torch.Generator) -> torch.Tensor:
    """``[draws, points]`` float64 Dirichlet(1, ..., 1) weights (normalised exponentials)."""
    uniform = torch.rand((draws, points), generator=generator, dtype=torch.float64)
    weights = -torch.log1p(-uniform)
    return weights / weights.sum(-1, keepdim=True)


def bootstrap_marginal_kl(terms: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    r"""``[S]`` draws :math:`\sum_n w^{(s)}_n t^{(s)}_n` of the KL from per-code terms
    :math:`t^{(s)}_n = \log q^{(s)}(z_n) - \log p(z_n)` ``[S, N]`` (module docstring), nats."""
    return (weights * terms).sum(-1)


def bootstrap_index_code_mi(terms: torch.Tensor, weights: torch.Tensor, rates: torch.Tensor) -> torch.Tensor:
    r"""``[S]`` draws of :math:`I_q = R - \mathrm{KL}`, :math:`\sum_n w^{(s)}_n (R_n - t^{(s)}_n)`, nats.

    Raises:
        DataError: not one finite rate per code.
    """
    rates = torch.as_tensor(rates, dtype=torch.float64)
    if rates.shape != weights.shape[1:]:
        raise DataError(f"need one rate per code ({weights.shape[1]}), got shape {tuple(rates.shape)}")
    if not torch.isfinite(rates).all():
        raise DataError("the rates contain NaN or infinite values (prior samples have no rate)")
    return (weights * (rates - terms)).sum(-1)
