r"""Marginal KL and index-code mutual information: the rate split of Hoffman & Johnson (2016).

The average rate over an evaluation set splits exactly into two terms ("ELBO surgery"):

.. math::
    \underbrace{\frac1N \sum_n \mathrm{KL}(q(z \mid x_n) \,\|\, p(z))}_{\text{rate } R}
    = \underbrace{I_q(n; z)}_{\text{index-code MI}}
    + \underbrace{\mathrm{KL}(q(z) \,\|\, p(z))}_{\text{marginal KL}},

with :math:`q(z) = \frac1N \sum_n q(z \mid x_n)` the aggregate posterior (Barkhof 2021,
eq. 2.25 and eqs. 4.7-4.11: the marginal KL is the gap between the rate and the mutual
information, and it should stay small for generation from the prior and for approximate
inference to be trustworthy).

**Estimator.** With one ancestral code :math:`z_n \sim q(z \mid x_n)` per sentence and the
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

References: Hoffman & Johnson, "ELBO surgery" (NIPS 2016 workshop on advances in approximate
Bayesian inference); Barkhof, "TransformerVAE" (MSc thesis, 2021), sections 2.2.2 and 4.2.
"""

from __future__ import annotations

from pyrovae.diagnostics.latent_sample import LatentSample
from pyrovae.metrics.estimate import Estimate

#: Within this many nats of :math:`\log N`, the MI estimate is taken to be saturated.
SATURATION_MARGIN = 1.0


def rate_estimate(sample: LatentSample) -> Estimate:
    """The average rate :math:`\\frac1N \\sum_n R_n`, nats per sentence."""
    note = None if sample.analytic_rate else "one-sample Monte Carlo KL (no analytic KL registered)"
    return Estimate.from_samples(sample.rates, "nats/sentence", note)


def marginal_kl(sample: LatentSample) -> dict[str, Estimate]:
    """``{"marginal_kl", "index_code_mi"}`` in nats, estimated as in the module docstring.

    Raises:
        UnsupportedModelError: the posterior cannot score codes drawn for other sentences.
    """
    information = sample.own_log_prob - sample.aggregate_log_density
    divergence = sample.rates - information
    mi = Estimate.from_samples(information, "nats")
    note = None
    if mi.value > sample.log_num_points - SATURATION_MARGIN:
        floor = float(sample.rates.mean()) - sample.log_num_points
        note = (
            f"the index-code MI estimate {mi.value:.2f} is near its ceiling log N = "
            f"{sample.log_num_points:.2f} (N = {sample.num_points} sentences): the marginal KL "
            f"cannot be estimated below rate - log N = {floor:.2f} here and mostly reflects that "
            "bound; use more sentences or compare MMD and KS"
        )
        mi = Estimate(mi.value, mi.stderr, mi.unit, f"at most log N = {sample.log_num_points:.2f}")
    return {"marginal_kl": Estimate.from_samples(divergence, "nats", note), "index_code_mi": mi}
