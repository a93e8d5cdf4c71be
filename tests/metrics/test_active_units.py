"""Active units (Burda et al., arXiv:1509.00519) on constructed posterior means."""

from __future__ import annotations

import pyro
import pyro.distributions as dist
import pytest
import torch

from pyrovae.errors import DataError
from pyrovae.metrics import active_units, posterior_means


def means_with_variances(variances: list[float], n: int) -> torch.Tensor:
    """``[n, D]`` columns whose sample variance (ddof=1) is exactly ``variances``."""
    columns = torch.randn(n, len(variances), dtype=torch.float64)
    columns = (columns - columns.mean(0)) / columns.std(0, correction=1)
    return columns * torch.tensor(variances, dtype=torch.float64).sqrt() + 3.0


def test_counts_dimensions_above_threshold():
    variances = [0.5, 0.02, 0.011, 0.009, 0.001, 0.0]
    result = active_units(means_with_variances(variances, 500))
    assert result.count == 3
    assert result.active.tolist() == [True, True, True, False, False, False]
    torch.testing.assert_close(result.variances, torch.tensor(variances, dtype=torch.float64))


def test_variance_uses_ddof_1():
    # ddof=1 variance 0.0105 > 0.01; with ddof=0 it would be 0.0105 * 9/10 < 0.01.
    assert active_units(means_with_variances([0.0105], 10)).count == 1


def test_threshold_is_configurable_and_one_point_is_an_error():
    means = means_with_variances([0.5, 0.02], 50)
    assert active_units(means, threshold=0.1).count == 1
    with pytest.raises(DataError):
        active_units(means[:1])


def test_posterior_means_over_a_loader_analytic_and_monte_carlo():
    def guide(x):
        with pyro.plate("points", x.shape[0]):
            pyro.sample("z", dist.Normal(2 * x, 0.1).to_event(1))

    def flow_guide(x):  # a TransformedDistribution: no analytic mean, Monte Carlo instead
        base = dist.Normal(2 * x, 0.1).to_event(1)
        with pyro.plate("points", x.shape[0]):
            shift = dist.transforms.AffineTransform(1.0, 1.0)
            pyro.sample("z", dist.TransformedDistribution(base, [shift]))

    x = torch.randn(12, 3)
    torch.testing.assert_close(posterior_means(guide, x.split(5)), 2 * x)
    mc = posterior_means(flow_guide, x.split(5), num_samples=4000)
    torch.testing.assert_close(mc, 2 * x + 1.0, atol=0.01, rtol=0)
