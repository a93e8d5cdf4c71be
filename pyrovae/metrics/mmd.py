r"""Kernel maximum mean discrepancy between two samples.

.. math::
    \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)}\sum_{i \ne j} k(x_i, x_j)
        + \frac{1}{n(n-1)}\sum_{i \ne j} k(y_i, y_j) - \frac{2}{mn}\sum_{i,j} k(x_i, y_j),

the unbiased estimator of Gretton et al. (2012, eq. 3) with the Gaussian kernel
:math:`k(x, y) = \exp(-\|x - y\|^2 / (2 h^2))`. Its expectation is 0 exactly when the two samples
come from the same distribution (it can be slightly negative for finite samples). The default
bandwidth :math:`h^2 = D` suits samples of a standard normal in :math:`\mathbb{R}^D`, whose pairwise
squared distances average :math:`2D` (InfoVAE's choice, Zhao et al. 2017).

Reference: Gretton et al., "A Kernel Two-Sample Test", JMLR 13 (2012).
"""

from __future__ import annotations

import torch


def gaussian_kernel(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """``[M, N]`` kernel matrix between rows of ``x [M, D]`` and ``y [N, D]``."""
    return torch.exp(-torch.cdist(x, y).pow(2) / (2.0 * bandwidth**2))


def mmd_squared(x: torch.Tensor, y: torch.Tensor, bandwidth: float | None = None) -> torch.Tensor:
    """Unbiased MMD^2 between samples ``x [M, D]`` and ``y [N, D]`` (M, N >= 2); differentiable."""
    if x.dim() != 2 or y.dim() != 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(f"MMD needs two [N, D] samples of the same D, got {tuple(x.shape)} and {tuple(y.shape)}")
    m, n = x.shape[0], y.shape[0]
    if m < 2 or n < 2:
        raise ValueError("the unbiased MMD needs at least two points in each sample")
    h = float(x.shape[-1]) ** 0.5 if bandwidth is None else bandwidth
    k_xx, k_yy, k_xy = gaussian_kernel(x, x, h), gaussian_kernel(y, y, h), gaussian_kernel(x, y, h)
    within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    return within_x + within_y - 2.0 * k_xy.mean()
