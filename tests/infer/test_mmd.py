import math

import pytest
import torch

from pyrovae.infer.mmd import mmd_squared


def test_matches_the_formula_on_fixed_points():
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[0.0], [2.0], [3.0]])
    k = lambda a, b: math.exp(-((a - b) ** 2) / 2.0)  # noqa: E731  (h = 1)
    within_x = 2 * k(0, 1) / 2
    within_y = 2 * (k(0, 2) + k(0, 3) + k(2, 3)) / 6
    across = sum(k(a, b) for a in (0, 1) for b in (0, 2, 3)) / 6
    assert mmd_squared(x.double(), y.double(), bandwidth=1.0).item() == pytest.approx(within_x + within_y - 2 * across, abs=1e-12)


def test_near_zero_for_the_same_distribution_and_positive_for_a_shift():
    torch.manual_seed(0)
    same = mmd_squared(torch.randn(2000, 8), torch.randn(2000, 8))
    shifted = mmd_squared(torch.randn(2000, 8) + 1.0, torch.randn(2000, 8))
    assert abs(float(same)) < 2e-3
    assert float(shifted) > 0.2


def test_rejects_mismatched_samples():
    with pytest.raises(ValueError, match="same D"):
        mmd_squared(torch.zeros(3, 2), torch.zeros(3, 4))
