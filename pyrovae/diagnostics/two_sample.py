r"""Two-sample statistics between ancestral codes of :math:`q(z)` and the prior (Barkhof 2021, 4.2.1).

**Kolmogorov-Smirnov, per dimension.** For each coordinate ``d`` the KS statistic
:math:`\sup_t |\hat F_{q,d}(t) - F_{p,d}(t)|` between the empirical distribution of the codes'
``d``-th coordinates and the prior's marginal (Kolmogorov 1933; Smirnov 1939). When the prior's
marginal CDF is known (factorised priors whose family has a ``cdf``, e.g. Gaussians) this is the
exact one-sample test (``scipy.stats.kstest`` on the probability-integral transform
:math:`F_{p,d}(z_{n,d})` against the uniform law); otherwise the two-sample test against prior
draws (``scipy.stats.ks_2samp``). The statistic lies in ``[0, 1]``; for ``N`` codes of the prior
itself it is of order :math:`0.9/\sqrt N`. p-values are per dimension, uncorrected for the ``D``
tests.

**Kernel MMD.** The unbiased :math:`\widehat{\mathrm{MMD}}^2` of Gretton et al. (2012) between the
codes and prior draws, with the Gaussian kernel of :func:`pyrovae.infer.mmd.mmd_squared`
(bandwidth :math:`h^2 = D`, and :math:`h = 1` per dimension), in float64. Its expectation is 0
exactly when :math:`q(z) = p(z)`; finite samples give values of order :math:`\pm 1/N` around it.

As the thesis stresses, with enough samples both tests reject exact equality for any real model;
read the statistics as distances to compare between models, not as tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from pyro.distributions import Distribution

from pyrovae.infer.mmd import mmd_squared, mmd_squared_per_dimension
from pyrovae.metrics.aggregate_posterior import univariate_marginals


@dataclass(frozen=True)
class KolmogorovSmirnov:
    """Per-dimension KS statistics and p-values, and which test produced them."""

    statistic: np.ndarray  #: ``[D]`` in [0, 1]
    pvalue: np.ndarray  #: ``[D]``, two-sided
    method: str  #: "one-sample against the prior's marginal CDF" or "two-sample against prior draws"


def _marginal_cdf(prior: Distribution, codes: torch.Tensor) -> torch.Tensor | None:
    """``[N, D]`` values of the prior's marginal CDFs at the codes, or None when unavailable."""
    marginals = univariate_marginals(prior)
    if marginals is None or not isinstance(prior, torch.distributions.Independent):
        return None
    try:
        return marginals.cdf(codes.double()).double()
    except NotImplementedError:
        return None


def kolmogorov_smirnov(codes: torch.Tensor, prior: Distribution, prior_samples: torch.Tensor) -> KolmogorovSmirnov:
    """KS statistic and p-value of every dimension of ``codes [N, D]`` against the prior."""
    from scipy import stats

    cdf = _marginal_cdf(prior, codes)
    results = []
    if cdf is not None:
        method = "one-sample against the prior's marginal CDF"
        for column in cdf.cpu().numpy().T:
            results.append(stats.kstest(column, "uniform"))
    else:
        method = "two-sample against prior draws"
        x, y = codes.double().cpu().numpy(), prior_samples.double().cpu().numpy()
        for d in range(x.shape[1]):
            results.append(stats.ks_2samp(x[:, d], y[:, d]))
    return KolmogorovSmirnov(
        np.array([float(r.statistic) for r in results]), np.array([float(r.pvalue) for r in results]), method
    )


def mmd_to_prior(codes: torch.Tensor, prior_samples: torch.Tensor) -> float:
    """Unbiased MMD² between the codes and prior draws (Gaussian kernel, :math:`h^2 = D`), float64."""
    return float(mmd_squared(codes.double(), prior_samples.double().to(codes.device)))


def mmd_per_dimension(codes: torch.Tensor, prior_samples: torch.Tensor) -> np.ndarray:
    """``[D]`` unbiased MMD² of each coordinate (Gaussian kernel, :math:`h = 1`), float64 sums."""
    return mmd_squared_per_dimension(codes.float(), prior_samples.float().to(codes.device)).cpu().numpy()
