r"""First and second moments of the aggregate posterior against the prior (Prokhorov et al. 2019).

Prokhorov et al. (section 3.2, Table 1) track how the aggregate posterior :math:`q(z)` moves away
from the prior as the rate grows through three summaries of its moments
:math:`\bar\mu = \mathbb{E}_{q(z)}[z]` and :math:`\Sigma = \operatorname{Cov}_{q(z)}[z]`:

* ``log_det_cov`` :math:`= \log\det\Sigma`: the log-volume of the aggregate posterior (0 for a
  standard-normal :math:`q(z)`; it falls as posteriors sharpen and the code space shrinks);
* ``mean_norm_sq`` :math:`= \|\bar\mu\|_2^2` (0 for a zero-mean :math:`q(z)`);
* ``moment_matched_kl`` :math:`= \mathrm{KL}(\mathcal N(\bar\mu, \Sigma) \,\|\, \mathcal N(\mu_p,
  \Sigma_p))`, nats: the KL between the Gaussians that match the moments of :math:`q(z)` and of
  :math:`p(z)` (for a Gaussian prior, the KL of the moment-matched fit of :math:`q(z)` to the prior
  itself). It is blind to everything but the first two moments: 0 does not mean :math:`q(z) = p(z)`.

The moments of :math:`q(z)` are exact (law of total covariance over the mixture,
:meth:`~pyrovae.metrics.AggregatePosterior.moments`) when the posterior has closed-form moments,
so they carry no Monte Carlo error; otherwise they are the sample moments of the ancestral codes
(``ddof = 1``; then :math:`\log\det` is biased by about :math:`-D(D+1)/(2N)`), and a note says so.
The prior's moments are exact for Gaussian and factorised priors, else from prior samples.
All are computed in float64. None has a standard error.

Reference: Prokhorov, Shareghi, Li, Pilehvar & Collier, "On the Importance of the
Kullback-Leibler Divergence Term in Variational Autoencoders for Text Generation", WNGT 2019
(arXiv:1909.13668).
"""

from __future__ import annotations

import math

import torch
from torch.distributions import MultivariateNormal, kl_divergence

from pyrovae.diagnostics.latent_sample import LatentSample
from pyrovae.errors import UnsupportedModelError
from pyrovae.metrics.aggregate_posterior import distribution_moments
from pyrovae.metrics.estimate import Estimate

SAMPLE_MOMENTS_NOTE = "moments of the {n} samples (no closed-form moments)"


def sample_moments(samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``[D]`` and covariance ``[D, D]`` (``ddof = 1``, float64) of ``samples [N, D]``."""
    x = samples.double()
    return x.mean(0), torch.cov(x.T, correction=1).reshape(x.shape[-1], x.shape[-1])


def gaussian_kl(mean: torch.Tensor, cov: torch.Tensor, ref_mean: torch.Tensor, ref_cov: torch.Tensor) -> float:
    """:math:`\\mathrm{KL}(\\mathcal N(\\mu, \\Sigma) \\| \\mathcal N(\\mu_0, \\Sigma_0))` in nats;
    NaN when a covariance is not positive definite."""
    try:
        return float(kl_divergence(MultivariateNormal(mean, cov), MultivariateNormal(ref_mean, ref_cov)))
    except (ValueError, RuntimeError):  # a singular covariance (fewer codes than dimensions)
        return math.nan


def moment_statistics(sample: LatentSample, prior_samples: torch.Tensor) -> dict[str, Estimate]:
    """``{"log_det_cov", "mean_norm_sq", "moment_matched_kl"}`` (see the module docstring).

    Args:
        sample: the ancestral sample of :math:`q(z)`.
        prior_samples: ``[M, D]`` draws of :math:`p(z)`, used only for a prior without
            closed-form moments.
    """
    try:
        mean, cov = sample.posterior.moments()
        note = None
    except UnsupportedModelError:
        mean, cov = sample_moments(sample.codes)
        note = SAMPLE_MOMENTS_NOTE.format(n=f"N = {sample.num_points} ancestral")
    try:
        prior_mean, prior_cov = distribution_moments(sample.prior)
        prior_note = None
    except UnsupportedModelError:
        prior_mean, prior_cov = sample_moments(prior_samples)
        prior_note = SAMPLE_MOMENTS_NOTE.format(n=f"M = {prior_samples.shape[0]} prior")
    sign, log_det = torch.linalg.slogdet(cov)
    kl_note = "; ".join(n for n in (note, prior_note and f"prior: {prior_note}") if n) or None
    return {
        "log_det_cov": Estimate(float(log_det) if sign > 0 else -math.inf, None, "log det of Cov[z]", note),
        "mean_norm_sq": Estimate(float(mean @ mean), None, "squared norm of E[z]", note),
        "moment_matched_kl": Estimate(gaussian_kl(mean, cov, prior_mean, prior_cov), None, "nats", kl_note),
    }
