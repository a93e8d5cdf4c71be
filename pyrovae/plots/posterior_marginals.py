r"""Per-dimension histograms of aggregate-posterior samples over the prior density.

Samples :math:`z \sim q(z) = \frac1N \sum_n q(z \mid x_n)` (draw a sentence, then a code from its
posterior) are histogrammed one dimension at a time, with the prior's marginal density
:math:`p(z_d)` drawn over them, as in Barkhof (2021, Fig. 4.6). Where the histogram and the curve
part, the aggregate posterior has left the prior along that axis: decoding prior samples then
feeds the decoder codes unlike those it was trained on. Matching marginals do not imply matching
joints (dependence between dimensions is invisible here; see the total correlation).

Reference: Barkhof, "Taking a step back: assessing the TransformerVAE as a latent variable model
first" (MSc thesis, University of Amsterdam, 2021), section 4.2.1.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from pyrovae.plots.canvas import new_figure, save

#: ``pdf(d, x)``: the prior's marginal density of dimension ``d`` at points ``x``.
MarginalDensity = Callable[[int, np.ndarray], np.ndarray]


def distribution_marginals(marginals) -> MarginalDensity:
    """The densities of a distribution with batch shape ``[D]`` and event shape ``()``, one
    coordinate each, e.g. ``pyrovae.metrics.aggregate_posterior.univariate_marginals(prior)`` or
    ``torch.distributions.Normal(loc [D], scale [D])``."""
    import torch

    def pdf(d: int, x: np.ndarray) -> np.ndarray:
        points = torch.as_tensor(np.asarray(x, dtype=float)).unsqueeze(-1).expand(-1, marginals.batch_shape[-1])
        with torch.no_grad():
            log_density = marginals.log_prob(points.to(marginals.mean.dtype))[:, d]
        return log_density.double().exp().cpu().numpy()

    return pdf


def kernel_density_marginals(prior_samples: np.ndarray) -> MarginalDensity:
    """Gaussian kernel density estimates (Scott's bandwidth) of each dimension of ``[M, D]``
    prior samples: for priors without closed-form marginals."""
    from scipy.stats import gaussian_kde

    samples = np.asarray(prior_samples, dtype=float)

    def pdf(d: int, x: np.ndarray) -> np.ndarray:
        return gaussian_kde(samples[:, d])(x)

    return pdf


def plot_posterior_marginals(
    aggregate_samples: np.ndarray,
    prior_samples: np.ndarray,
    path: str | Path,
    *,
    prior_pdf: MarginalDensity | None = None,
    ks_statistic: Sequence[float] | None = None,
    dims: Sequence[int] | None = None,
    bins: int = 40,
    columns: int = 8,
) -> Path:
    """Histogram each dimension of ``aggregate_samples [N, D]`` over the prior's marginal density.

    Args:
        aggregate_samples: draws from the aggregate posterior.
        prior_samples: ``[M, D]`` draws from the prior: they set the plotted range and, without
            ``prior_pdf``, its density (kernel density estimate).
        path: the PNG to write.
        prior_pdf: the exact marginal densities (e.g. :func:`distribution_marginals`).
        ks_statistic: ``[D]`` Kolmogorov-Smirnov statistics, shown in each panel's title.
        dims: which dimensions to show (all by default), in that order.
        bins: histogram bins.
        columns: panels per row.

    Returns:
        ``path``.
    """
    aggregate = np.asarray(aggregate_samples, dtype=float)
    prior = np.asarray(prior_samples, dtype=float)
    if aggregate.ndim != 2 or prior.ndim != 2 or aggregate.shape[1] != prior.shape[1]:
        raise ValueError(f"expected samples [N, D] and [M, D], got {aggregate.shape} and {prior.shape}")
    dims = list(range(aggregate.shape[1])) if dims is None else list(dims)
    pdf = prior_pdf or kernel_density_marginals(prior)
    columns = max(1, min(columns, len(dims)))
    rows = math.ceil(len(dims) / columns)
    figure, axes = new_figure(rows, columns, panel_size=(1.9, 1.5), sharey=False)
    for ax in axes.flat[len(dims) :]:
        ax.set_visible(False)
    for ax, d in zip(axes.flat, dims):
        both = np.concatenate([aggregate[:, d], prior[:, d]])
        low, high = np.percentile(both, [0.5, 99.5])
        grid = np.linspace(low, high, 200)
        ax.hist(aggregate[:, d], bins=bins, range=(low, high), density=True, color="tab:blue", alpha=0.6)
        ax.plot(grid, pdf(d, grid), color="tab:orange", linewidth=1.2)
        title = f"z{d}" if ks_statistic is None else f"z{d}  KS {ks_statistic[d]:.2f}"
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
    figure.suptitle("aggregate posterior q(z) (histogram) vs prior p(z) (line), per dimension", fontsize=9)
    return save(figure, path)
