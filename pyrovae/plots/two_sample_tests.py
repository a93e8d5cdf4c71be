r"""Per-dimension two-sample statistics between aggregate-posterior and prior samples.

Barkhof (2021, section 4.2, Fig. 4.7) compares samples of :math:`q(z)` with samples of
:math:`p(z)` one dimension at a time with the Kolmogorov-Smirnov statistic (the largest gap
between the two empirical CDFs) and with the kernel MMD (Gretton et al. 2012). This figure shows
both statistics for every dimension, with the KS critical value at level :math:`\alpha`,

.. math:: D_\alpha = K^{-1}(1 - \alpha) \, \sqrt{\frac{n + m}{n m}}
    \quad\text{(two samples of sizes } n, m\text{)}, \qquad
    D_\alpha = \frac{K^{-1}(1 - \alpha)}{\sqrt n} \quad\text{(one sample against a CDF)},

with :math:`K` the Kolmogorov distribution (:math:`K^{-1}(0.95) = 1.358`; asymptotic bounds,
accurate from a few hundred samples on) when the sample sizes are given: bars above it reject
:math:`q(z_d) = p(z_d)` at that level (before any correction for testing ``D`` dimensions).

References: Barkhof, "Taking a step back: assessing the TransformerVAE as a latent variable model
first" (MSc thesis, University of Amsterdam, 2021); Gretton et al., "A Kernel Two-Sample Test"
(JMLR 2012).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from pyrovae.plots.canvas import new_figure, save


def ks_critical_value(n: int, m: int | None = None, alpha: float = 0.05) -> float:
    """The asymptotic Kolmogorov-Smirnov critical value at level ``alpha``: two-sample for sample
    sizes ``n, m``, one-sample (``n`` points against a known CDF) when ``m`` is None."""
    from scipy.special import kolmogi

    scale = math.sqrt(1 / n) if m is None else math.sqrt((n + m) / (n * m))
    return float(kolmogi(alpha)) * scale


def plot_per_dimension_tests(
    ks_statistic: Sequence[float],
    mmd_per_dim: Sequence[float],
    path: str | Path,
    *,
    sample_sizes: tuple[int, int | None] | None = None,
    alpha: float = 0.05,
) -> Path:
    """Bar charts of the KS statistic and the squared MMD of each latent dimension.

    Args:
        ks_statistic: ``[D]`` KS statistics.
        mmd_per_dim: ``[D]`` MMD estimates (as the estimator reports them).
        path: the PNG to write.
        sample_sizes: ``(n, m)``, the numbers of aggregate-posterior and prior samples, with
            ``m = None`` for one-sample tests against the prior's CDF: draws the KS critical
            value at level ``alpha``.

    Returns:
        ``path``.
    """
    ks = np.asarray(ks_statistic, dtype=float)
    mmd = np.asarray(mmd_per_dim, dtype=float)
    if ks.shape != mmd.shape or ks.ndim != 1:
        raise ValueError(f"expected two [D] arrays, got {ks.shape} and {mmd.shape}")
    dims = np.arange(ks.size)
    figure, axes = new_figure(2, 1, panel_size=(max(4.0, 0.22 * ks.size), 2.2), sharex=True)
    top, bottom = axes[0, 0], axes[1, 0]
    top.bar(dims, ks, color="tab:blue")
    top.set_ylabel("KS statistic")
    if sample_sizes is not None:
        critical = ks_critical_value(*sample_sizes, alpha=alpha)
        top.axhline(critical, color="tab:red", linestyle="--", linewidth=1)
        top.set_title(f"dashed: critical value {critical:.3f} at alpha={alpha:g}", fontsize=7)
    bottom.bar(dims, mmd, color="tab:green")
    bottom.set_ylabel("MMD^2")
    bottom.set_xlabel("latent dimension")
    bottom.set_xticks(dims[:: math.ceil(ks.size / 16)])
    figure.suptitle("q(z) vs p(z), one dimension at a time", fontsize=9)
    return save(figure, path)
