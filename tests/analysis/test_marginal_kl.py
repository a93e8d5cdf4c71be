"""Marginal KL and density estimates against closed forms: KL(N(mu, I) || N(0, I)) = ||mu||^2 / 2."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from pyrovae.analysis import (
    MixedMembership,
    MixedMembershipPosterior,
    marginal_kl,
    posterior_predictive_log_density,
)
from pyrovae.errors import DataError
from tests.analysis.conftest import KL_SHIFTED


@pytest.mark.parametrize("fixture", ["analysis_1d", "analysis_8d"])
def test_marginal_kl_is_zero_for_prior_samples_and_half_squared_shift_otherwise(fixture, request):
    """Acceptance: KL(q || p) near 0 for N(0, I) codes and near ||mu||^2 / 2 for N(mu, I) codes, in
    D = 1 and D = 8, each within its reported 95% interval."""
    analysis = request.getfixturevalue(fixture)
    for name in ("prior", "same"):
        kl = analysis.summaries[name].marginal_kl
        assert kl.contains(0.0) and abs(kl.mean) < 0.05, (name, str(kl))
        assert kl.unit == "nats"
    shifted = analysis.summaries["shifted"].marginal_kl
    assert shifted.contains(KL_SHIFTED), str(shifted)
    assert 0.1 < shifted.upper - shifted.lower < 0.5  # the interval carries the sampling error of N codes


def test_index_code_mi_is_rate_minus_marginal_kl(analysis_8d):
    for name, rate in (("same", 3.0), ("shifted", 5.0)):
        summary = analysis_8d.summaries[name]
        assert summary.rate.value == pytest.approx(rate) and summary.rate.unit == "nats/sentence"
        assert summary.index_code_mi.mean == pytest.approx(rate - summary.marginal_kl.mean, abs=1e-9)
        assert summary.index_code_mi.lower == pytest.approx(rate - summary.marginal_kl.upper, abs=1e-9)
    assert analysis_8d.summaries["prior"].index_code_mi is None  # prior draws have no rate


def test_univariate_model_gives_per_dimension_kl():
    """Known per-dimension densities q_d = N(mu_d, 1): each dimension's KL draws average the plain
    per-dimension log ratios mu_d z_d - mu_d^2 / 2, and they sum to the total."""
    model = MixedMembership(1, 3, 1, family="normal", univariate=True)
    mu = torch.tensor([0.0, 0.5, 1.5], dtype=torch.float64)
    draws = {
        "weights": torch.ones(3000, 1, 3, 1, dtype=torch.float64),
        "loc": mu.view(1, 1, 3, 1).expand(3000, 1, 3, 1),
        "scale": torch.ones(3000, 1, 3, 1, dtype=torch.float64),
    }
    z = torch.randn(400, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + mu
    log_prior = torch.distributions.Normal(0.0, 1.0).log_prob(z)
    kl = marginal_kl(MixedMembershipPosterior(model, draws), z, 0, log_prior)
    plain = (mu * z - mu**2 / 2).mean(0)
    torch.testing.assert_close(kl.per_block.mean(0), plain, atol=5e-3, rtol=0)
    torch.testing.assert_close(kl.per_block.sum(-1), kl.draws)
    assert [interval.contains(truth) for interval, truth in zip(kl.per_block_intervals(), (mu**2 / 2).tolist())] == [True] * 3


def test_posterior_predictive_density_averages_the_draws():
    """Two draws of a one-component normal model: log ((N(z; 0, 1) + N(z; 1, 2)) / 2) by scipy."""
    model = MixedMembership(1, 1, 1, family="normal")
    draws = {
        "weights": torch.ones(2, 1, 1, 1, dtype=torch.float64),
        "loc": torch.tensor([0.0, 1.0], dtype=torch.float64).view(2, 1, 1, 1),
        "scale": torch.tensor([1.0, 2.0], dtype=torch.float64).view(2, 1, 1, 1),
    }
    z = torch.linspace(-3, 3, 7, dtype=torch.float64).view(-1, 1)
    log_q = posterior_predictive_log_density(MixedMembershipPosterior(model, draws), z, 0)
    expected = np.log((stats.norm.pdf(z[:, 0], 0, 1) + stats.norm.pdf(z[:, 0], 1, 2)) / 2)
    np.testing.assert_allclose(log_q.numpy(), expected, rtol=1e-12)


def test_marginal_kl_of_a_known_density_is_the_bootstrapped_log_ratio():
    """With q = N(1, 1) exactly, every draw's KL is a Dirichlet-weighted mean of z - 1/2; its mean
    over many draws is the plain mean over the codes."""
    model = MixedMembership(1, 1, 1, family="normal")
    draws = {
        "weights": torch.ones(4000, 1, 1, 1, dtype=torch.float64),
        "loc": torch.ones(4000, 1, 1, 1, dtype=torch.float64),
        "scale": torch.ones(4000, 1, 1, 1, dtype=torch.float64),
    }
    z = torch.randn(200, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 1
    log_prior = torch.distributions.Normal(0.0, 1.0).log_prob(z[:, 0])
    kl = marginal_kl(MixedMembershipPosterior(model, draws), z, 0, log_prior)
    plain = float((z[:, 0] - 0.5).mean())
    assert float(kl.draws.mean()) == pytest.approx(plain, abs=3e-3)
    # the Bayesian bootstrap's spread is the standard error of the mean (sd 1 / sqrt(200))
    assert float(kl.draws.std()) == pytest.approx(float(z.std()) / math.sqrt(200), rel=0.1)
    with pytest.raises(DataError, match="log_prior must be"):
        marginal_kl(MixedMembershipPosterior(model, draws), z, 0, log_prior[:10])
