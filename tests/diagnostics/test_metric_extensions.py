"""What the diagnostics added to pyrovae.metrics: ratio estimates, per-dimension MMD, formatting."""

from __future__ import annotations

import math

import pytest
import torch

from pyrovae.errors import DataError
from pyrovae.infer.mmd import mmd_squared, mmd_squared_per_dimension
from pyrovae.metrics import Estimate


def test_ratio_estimate_is_the_ratio_of_sums_with_the_delta_method_error():
    a, b = torch.tensor([3.0, 5.0, 10.0]), torch.tensor([2.0, 2.0, 4.0])
    estimate = Estimate.from_ratio(a, b, "nats/token")
    r = 18.0 / 8.0
    residuals = [3 - 2 * r, 5 - 2 * r, 10 - 4 * r]
    mean = sum(residuals) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in residuals) / 2)
    assert estimate.value == pytest.approx(r) and estimate.stderr == pytest.approx(sd / (math.sqrt(3) * 8 / 3))
    assert Estimate.from_ratio(torch.tensor([1.0]), torch.tensor([4.0]), "x").stderr is None
    with pytest.raises(DataError, match="sum to zero"):
        Estimate.from_ratio(torch.tensor([1.0]), torch.tensor([0.0]), "x")


def test_per_dimension_mmd_equals_mmd_of_each_column():
    torch.manual_seed(0)
    x, y = torch.randn(150, 3) * torch.tensor([1.0, 2.0, 0.5]), torch.randn(170, 3) + 0.3
    for bandwidth in (1.0, 0.7):
        expected = torch.stack([mmd_squared(x[:, d : d + 1].double(), y[:, d : d + 1].double(), bandwidth) for d in range(3)])
        torch.testing.assert_close(mmd_squared_per_dimension(x, y, bandwidth), expected, rtol=1e-5, atol=1e-8)


def test_small_values_without_standard_error_keep_three_significant_digits():
    assert str(Estimate(0.0012345, None, "MMD^2")) == "0.00123 MMD^2"
    assert str(Estimate(-0.0312, None, "x")) == "-0.0312 x"
    assert str(Estimate(12.3456, None, "nats")) == "12.35 nats"
