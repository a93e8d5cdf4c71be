r"""``diagnose_latents``: does the aggregate posterior match the prior?

Rate and distortion are not enough: a model can reach a high rate while its aggregate posterior
:math:`q(z) = \frac1N \sum_n q(z \mid x_n)` drifts away from the prior :math:`p(z)`, which spoils
generation from the prior and approximate inference (Barkhof 2021, section 4.2; Prokhorov et al.
2019, section 3.2). :func:`diagnose_latents` draws one ancestral code per sentence,
:math:`z_n \sim q(z \mid x_n)`, and reports in one pass:

==================== ================ ==========================================================
key                  unit             meaning (module that defines the estimator)
==================== ================ ==========================================================
rate                 nats/sentence    :math:`\frac1N\sum_n \mathrm{KL}(q(z|x_n)\|p(z))` (analytic)
marginal_kl          nats             :math:`\mathrm{KL}(q(z)\|p(z))` (:mod:`pyrovae.metrics.marginal_kl`)
index_code_mi        nats             :math:`I_q(n; z)` = rate - marginal KL (:mod:`pyrovae.metrics.marginal_kl`)
total_correlation    nats             :math:`\mathrm{KL}(q(z)\|\prod_d q(z_d))` (:mod:`.total_correlation`)
dimensionwise_kl     nats             :math:`\sum_d \mathrm{KL}(q(z_d)\|p(z_d))` (:mod:`.total_correlation`)
log_det_cov          log det          :math:`\log\det\operatorname{Cov}_{q(z)}[z]` (:mod:`.moments`)
mean_norm_sq         squared norm     :math:`\|\mathbb{E}_{q(z)}[z]\|^2` (:mod:`.moments`)
moment_matched_kl    nats             KL of the moment-matched Gaussians (:mod:`.moments`)
mmd                  MMD^2            kernel MMD to prior draws (:mod:`.two_sample`)
ks_max, ks_mean      KS statistic     largest / mean per-dimension KS statistic (:mod:`.two_sample`)
num_sentences        sentences        ``N``
==================== ================ ==========================================================

Quantities that need a property the model lacks (a factorised prior for the total correlation;
a posterior that scores codes drawn for other sentences for the mixture-based ones) are NaN with a
note saying why; the others are still computed. For a collapsed model (:math:`q(z \mid x) = p(z)`)
every divergence is 0 up to sampling noise and ``log_det_cov`` and ``mean_norm_sq`` are those of
the prior.

Cost: one guide pass, :math:`O(N^2 D)` for the mixture densities (chunked, float64
accumulation) and :math:`O((N + M)^2 D)` for the MMD; no decoder pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np
import torch

from pyrovae.diagnostics.latent_sample import LatentSample
from pyrovae.diagnostics.moments import moment_statistics
from pyrovae.diagnostics.total_correlation import (
    dimensionwise_kl_per_dimension,
    total_correlation,
)
from pyrovae.diagnostics.two_sample import (
    kolmogorov_smirnov,
    mmd_per_dimension,
    mmd_to_prior,
)
from pyrovae.errors import ConfigError, UnsupportedModelError
from pyrovae.metrics.estimate import Estimate
from pyrovae.metrics.marginal_kl import mixture_marginal_kl
from pyrovae.text.batch import TokenBatch


@dataclass
class LatentDiagnostics:
    """Result of :func:`diagnose_latents`.

    Attributes:
        scalars: ``{name: Estimate}`` with the keys of the module docstring.
        ks_statistic: ``[D]`` KS statistic of each dimension against the prior's marginal.
        ks_pvalue: ``[D]`` its two-sided p-value (uncorrected for the ``D`` tests).
        ks_method: whether KS was the one-sample (exact CDF) or the two-sample test.
        mmd_per_dim: ``[D]`` unbiased MMD² of each coordinate (Gaussian kernel, ``h = 1``).
        dimensionwise_kl_per_dim: ``[D]`` :math:`\\mathrm{KL}(q(z_d) \\| p(z_d))` in nats (NaN where
            the total-correlation split does not apply).
        aggregate_samples: ``[N, D]`` the ancestral codes :math:`z_n \\sim q(z \\mid x_n)`.
        prior_samples: ``[M, D]`` the prior draws the two-sample statistics used.
    """

    scalars: dict[str, Estimate]
    ks_statistic: np.ndarray
    ks_pvalue: np.ndarray
    ks_method: str
    mmd_per_dim: np.ndarray
    dimensionwise_kl_per_dim: np.ndarray
    aggregate_samples: torch.Tensor
    prior_samples: torch.Tensor

    def to_dict(self) -> dict:
        """Everything but the samples, JSON-serialisable (NaN stays NaN, as JSON's extension)."""
        return {
            "scalars": {name: estimate.to_dict() for name, estimate in self.scalars.items()},
            "ks_statistic": self.ks_statistic.tolist(),
            "ks_pvalue": self.ks_pvalue.tolist(),
            "ks_method": self.ks_method,
            "mmd_per_dim": self.mmd_per_dim.tolist(),
            "dimensionwise_kl_per_dim": self.dimensionwise_kl_per_dim.tolist(),
        }


def _unless_unsupported(compute: Callable[[], dict[str, Estimate]], keys: tuple[str, ...], unit: str) -> dict[str, Estimate]:
    try:
        return compute()
    except UnsupportedModelError as error:
        return {key: Estimate(math.nan, None, unit, str(error)) for key in keys}


def diagnose_latents(
    vae: Any,
    batches: Iterable[TokenBatch],
    *,
    num_prior_samples: int | None = None,
    progress: bool = False,
) -> LatentDiagnostics:
    """Compare the aggregate posterior of ``vae`` on ``batches`` with its prior.

    Args:
        vae: a module with a ``guide(batch)`` that has one vector-valued latent site and a
            ``prior()`` returning :math:`p(z)` (a :class:`~pyrovae.vae.TextVAE`). It runs in
            evaluation mode; its modules get their previous modes back.
        batches: the evaluation set (one pass; a generator is fine). Codes are drawn from the
            global torch random stream: seed it (``pyro.set_rng_seed``) for reproducible numbers.
        num_prior_samples: ``M``, prior draws for MMD (and KS when the prior's CDF is unknown);
            default ``N``, the number of sentences.
        progress: show a progress bar over batches.

    Raises:
        DataError: fewer than two sentences.
        ConfigError: ``num_prior_samples`` below 2.
        UnsupportedModelError: no ``prior()``, or not exactly one vector-valued latent site.
    """
    if num_prior_samples is not None and num_prior_samples < 2:
        raise ConfigError(f"num_prior_samples must be at least 2, got {num_prior_samples}")
    sample = LatentSample.collect(vae, batches, progress=progress)
    with torch.no_grad():
        prior_samples = sample.prior.sample((num_prior_samples or sample.num_points,))
        codes = sample.codes
        ks = kolmogorov_smirnov(codes, sample.prior, prior_samples)
        scalars = {"rate": sample.rate_estimate()}
        scalars |= _unless_unsupported(
            lambda: mixture_marginal_kl(sample.own_log_prob, sample.aggregate_log_density, sample.rates),
            ("marginal_kl", "index_code_mi"),
            "nats",
        )
        scalars |= _unless_unsupported(
            lambda: total_correlation(sample), ("total_correlation", "dimensionwise_kl"), "nats"
        )
        try:
            per_dim_kl = dimensionwise_kl_per_dimension(sample).cpu().numpy()
        except UnsupportedModelError:
            per_dim_kl = np.full(codes.shape[1], math.nan)
        scalars |= moment_statistics(sample, prior_samples)
        kernel_note = f"unbiased, Gaussian kernel h^2 = D = {codes.shape[1]}; M = {prior_samples.shape[0]} prior draws"
        worst = int(np.argmax(ks.statistic))
        scalars |= {
            "mmd": Estimate(mmd_to_prior(codes, prior_samples), None, "MMD^2", kernel_note),
            "ks_max": Estimate(float(ks.statistic[worst]), None, "KS statistic", f"dimension {worst}; {ks.method}"),
            "ks_mean": Estimate(float(ks.statistic.mean()), None, "KS statistic", ks.method),
            "num_sentences": Estimate(float(sample.num_points), None, "sentences"),
        }
        return LatentDiagnostics(
            scalars=scalars,
            ks_statistic=ks.statistic,
            ks_pvalue=ks.pvalue,
            ks_method=ks.method,
            mmd_per_dim=mmd_per_dimension(codes, prior_samples),
            dimensionwise_kl_per_dim=per_dim_kl,
            aggregate_samples=codes.cpu(),
            prior_samples=prior_samples.cpu(),
        )
