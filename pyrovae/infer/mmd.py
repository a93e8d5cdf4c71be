r"""Kernel maximum mean discrepancy between two samples.

.. math::
    \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)}\sum_{i \ne j} k(x_i, x_j)
        + \frac{1}{n(n-1)}\sum_{i \ne j} k(y_i, y_j) - \frac{2}{mn}\sum_{i,j} k(x_i, y_j),

the unbiased estimator of Gretton et al. (2012, eq. 3) with the Gaussian kernel
:math:`k(x, y) = \exp(-\|x - y\|^2 / (2 h^2))`. Its expectation is 0 exactly when the two samples
come from the same distribution (it can be slightly negative for finite samples). The default
bandwidth :math:`h^2 = D` suits samples of a standard normal in :math:`\mathbb{R}^D`, whose pairwise
squared distances average :math:`2D` (Zhao et al.'s released MMD-VAE code uses
:math:`\exp(-\|x - y\|^2 / D^2)` instead).

:func:`mmd_squared_per_dimension` gives the same statistic for every coordinate separately (one
kernel per dimension, chunked so that large samples fit in memory).

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


#: Rows of ``x`` against which all of ``y`` is compared at once in :func:`mmd_squared_per_dimension`.
_ROWS_PER_CHUNK = 64


def _kernel_sums_per_dimension(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """``[D]``: :math:`\\sum_{i,j} k(x_{id}, y_{jd})` for each coordinate (float64 across chunks)."""
    scale = 1.0 / (2.0**0.5 * bandwidth)  # k = exp(-(s x - s y)^2)
    x, y = x * scale, y * scale
    total = torch.zeros(x.shape[-1], dtype=torch.float64, device=x.device)
    for rows in x.split(_ROWS_PER_CHUNK):
        kernel = rows.unsqueeze(1) - y.unsqueeze(0)  # [rows, N, D]
        kernel.square_().neg_().exp_()
        total += kernel.sum(1).double().sum(0)
    return total


def mmd_squared_per_dimension(x: torch.Tensor, y: torch.Tensor, bandwidth: float = 1.0) -> torch.Tensor:
    """``[D]`` float64: the unbiased MMD^2 of each coordinate, ``mmd_squared(x[:, d:d+1], y[:, d:d+1])``
    for every ``d`` at once (kernel bandwidth ``h``, default 1: one dimension of a standard normal).

    Computed in chunks of rows with float64 sums, in ``O(M N D)`` time and ``O(N D)`` memory per
    chunk; not differentiable through the in-place kernel evaluation."""
    if x.dim() != 2 or y.dim() != 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(f"MMD needs two [N, D] samples of the same D, got {tuple(x.shape)} and {tuple(y.shape)}")
    m, n = x.shape[0], y.shape[0]
    if m < 2 or n < 2:
        raise ValueError("the unbiased MMD needs at least two points in each sample")
    # k(x, x) = 1 on the diagonals, left out of the within-sample sums.
    within_x = (_kernel_sums_per_dimension(x, x, bandwidth) - m) / (m * (m - 1))
    within_y = (_kernel_sums_per_dimension(y, y, bandwidth) - n) / (n * (n - 1))
    return within_x + within_y - 2.0 * _kernel_sums_per_dimension(x, y, bandwidth) / (m * n)
