"""The SVI convergence check on traces with known behaviour, and its warning."""

from __future__ import annotations

import warnings

import pytest
import torch

from pyrovae.analysis import (
    ConvergenceWarning,
    FitOptions,
    MixedMembership,
    check_convergence,
    fit,
)
from pyrovae.errors import ConfigError


def test_flat_noisy_trace_has_settled_and_falling_trace_has_not():
    noise = torch.randn(1000, generator=torch.Generator().manual_seed(0)).tolist()
    flat = [1000.0 + 5 * e for e in noise]
    assert check_convergence(flat, num_observations=100).settled
    falling = [1000.0 - 0.5 * step + e for step, e in enumerate(noise)]  # 50 nats of drift in the window
    result = check_convergence(falling, num_observations=100)
    assert not result.settled and result.drift == pytest.approx(50, rel=0.2)
    # a drift within the tolerance (1e-3 nats per observation) counts as settled
    assert check_convergence([1000.0 - 1e-5 * s for s in range(1000)], num_observations=1000).settled


def test_unsettled_fit_warns_and_reports_its_trace():
    """Cauchy codes: the Student-t degrees of freedom start at 20 and need many more than 40 steps."""
    z = torch.distributions.Cauchy(0.0, 1.0).sample((400, 2))
    group = torch.arange(2).repeat_interleave(200)
    options = FitOptions(num_steps=40, learning_rate=0.02, final_learning_rate=0.02, window=0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit(MixedMembership(2, 2, 1), z, group, options)
    assert len(result.losses) == 40 and result.num_observations == 400
    assert not result.convergence.settled
    assert any(issubclass(w.category, ConvergenceWarning) and "raise the number of steps" in str(w.message) for w in caught)


def test_bad_options_are_rejected():
    with pytest.raises(ConfigError, match="num_steps"):
        FitOptions(num_steps=3)
    with pytest.raises(ConfigError, match="subsample_size"):
        FitOptions(subsample_size=0)
