"""diagnose_latents against aggregate posteriors with known divergences.

The reference values are closed forms (Gaussian aggregates) or high-accuracy quadrature of the
exact mixture on a grid (2-D mixtures); the estimators are unbiased for the empirical mixture, so
they must agree within a few of their own standard errors.
"""

from __future__ import annotations

import math

import pyro.distributions as dist
import pytest
import torch

from pyrovae.diagnostics import diagnose_latents
from pyrovae.latent import DiagonalNormal
from pyrovae.metrics import AggregatePosterior
from tests.diagnostics.toy_models import GivenPosteriors, standard_normal

TOLERANCE_SE = 4.0


def indices(n: int, batch: int = 250) -> list[torch.Tensor]:
    return list(torch.arange(n).split(batch))


def close(estimate, exact: float, floor: float = 1e-6) -> bool:
    return abs(estimate.value - exact) <= TOLERANCE_SE * (estimate.stderr or 0.0) + floor


def test_posteriors_equal_to_the_prior_give_zero_divergences_and_prior_statistics():
    torch.manual_seed(0)
    vae = GivenPosteriors(lambda i: standard_normal(4).expand((i.shape[0],)), standard_normal(4))
    result = diagnose_latents(vae, indices(2000))
    s = result.scalars
    for name in ("rate", "marginal_kl", "index_code_mi", "total_correlation", "dimensionwise_kl", "moment_matched_kl"):
        assert abs(s[name].value) < 1e-5, name  # every term is exactly 0 per sentence
    assert s["log_det_cov"].value == pytest.approx(0.0, abs=1e-12)
    assert s["mean_norm_sq"].value == pytest.approx(0.0, abs=1e-12)
    assert abs(s["mmd"].value) < 2e-3 and s["ks_max"].value < 0.05
    assert (abs(result.mmd_per_dim) < 2e-3).all() and (result.ks_pvalue > 1e-3).all()
    assert result.aggregate_samples.shape == (2000, 4) and result.prior_samples.shape == (2000, 4)
    assert s["num_sentences"].value == 2000


def test_shifted_posteriors_give_the_closed_form_kl_and_clearly_positive_two_sample_statistics():
    torch.manual_seed(1)
    shifted = dist.Normal(torch.ones(4), torch.ones(4)).to_event(1)
    vae = GivenPosteriors(lambda i: shifted.expand((i.shape[0],)), standard_normal(4))
    s = diagnose_latents(vae, indices(1000)).scalars
    # q(z) = N(1, I): KL = |mu|^2 / 2 = 2, exactly by the moments and by rate - MI (MI = 0 here).
    assert s["marginal_kl"].value == pytest.approx(2.0, abs=1e-5)
    assert s["moment_matched_kl"].value == pytest.approx(2.0, abs=1e-12)
    assert s["mean_norm_sq"].value == pytest.approx(4.0, abs=1e-12)
    assert s["log_det_cov"].value == pytest.approx(0.0, abs=1e-12)
    assert close(s["dimensionwise_kl"], 2.0) and close(s["total_correlation"], 0.0)
    assert s["ks_max"].value > 0.3 and s["mmd"].value > 0.1


def _grid_divergences(locs: torch.Tensor, scales: torch.Tensor) -> dict[str, float]:
    """KL(q || N(0, I)), total correlation and dimension-wise KL of the equal-weight mixture of
    N(locs[k], diag(scales[k]^2)) in 2-D, by quadrature on a fine grid."""
    step = 0.02
    axis = torch.arange(-8.0, 8.0 + step / 2, step, dtype=torch.float64)
    normal = torch.distributions.Normal(locs.double().unsqueeze(-2), scales.double().unsqueeze(-2))  # [K, 1, 2]
    per_axis = normal.log_prob(axis.unsqueeze(-1)).exp()  # [K, G, 2]: each component's 1-D densities
    marginals = per_axis.mean(0)  # [G, 2]: the mixture's marginals
    joint = torch.einsum("ka,kb->ab", per_axis[..., 0], per_axis[..., 1]) / locs.shape[0]  # [G, G]
    log_prior_1d = torch.distributions.Normal(0.0, 1.0).log_prob(axis)
    log_prior = log_prior_1d.unsqueeze(0) + log_prior_1d.unsqueeze(1)
    xlogy = lambda p, q: torch.where(p > 0, p * torch.log(p.clamp_min(1e-300) / q.exp()), 0.0)  # noqa: E731
    kl = float(xlogy(joint, log_prior).sum() * step**2)
    dimwise = sum(float(xlogy(marginals[:, d], log_prior_1d).sum() * step) for d in range(2))
    return {"marginal_kl": kl, "dimensionwise_kl": dimwise, "total_correlation": kl - dimwise}


def test_mixture_aggregate_matches_quadrature_of_the_exact_mixture():
    torch.manual_seed(2)
    k = 40
    locs = torch.randn(k, 2) * torch.tensor([1.2, 0.7]) + torch.tensor([0.3, -0.2])
    locs[:, 1] += 0.8 * locs[:, 0]  # correlated component means: a non-zero total correlation
    scales = 0.3 + 0.4 * torch.rand(k, 2)
    repeats = 60  # the same 40 components, 2,400 sentences: the mixture is unchanged
    vae = GivenPosteriors(
        lambda i: dist.Normal(locs[i % k], scales[i % k]).to_event(1), standard_normal(2)
    )
    s = diagnose_latents(vae, indices(k * repeats)).scalars
    exact = _grid_divergences(locs, scales)
    rate = float(torch.distributions.kl_divergence(
        torch.distributions.Normal(locs, scales), torch.distributions.Normal(0.0, 1.0)
    ).sum(-1).mean())
    assert exact["total_correlation"] > 0.1
    for name in ("marginal_kl", "total_correlation", "dimensionwise_kl"):
        assert close(s[name], exact[name]), (name, s[name], exact[name])
    assert s["rate"].value == pytest.approx(rate, rel=1e-6)
    assert close(s["index_code_mi"], rate - exact["marginal_kl"])


def test_correlated_gaussian_aggregate_has_the_closed_form_total_correlation():
    torch.manual_seed(3)
    loc = torch.tensor([0.5, -0.3, 0.2])
    cov = torch.tensor([[1.0, 0.6, 0.3], [0.6, 1.5, -0.4], [0.3, -0.4, 0.8]])
    q = dist.MultivariateNormal(loc, cov)
    vae = GivenPosteriors(lambda i: q.expand((i.shape[0],)), standard_normal(3))
    result = diagnose_latents(vae, indices(1500, batch=500))
    s = result.scalars
    std = cov.diagonal().sqrt()
    tc = -0.5 * math.log(torch.linalg.det(cov / torch.outer(std, std)))
    dimwise = float(torch.distributions.kl_divergence(torch.distributions.Normal(loc, std), torch.distributions.Normal(0.0, 1.0)).sum())
    full = float(torch.distributions.kl_divergence(q, dist.MultivariateNormal(torch.zeros(3), torch.eye(3))))
    assert close(s["total_correlation"], tc) and close(s["dimensionwise_kl"], dimwise)
    assert close(s["marginal_kl"], full) and abs(s["index_code_mi"].value) < 1e-5  # identical posteriors
    assert s["moment_matched_kl"].value == pytest.approx(full, rel=1e-6)
    assert s["log_det_cov"].value == pytest.approx(math.log(torch.linalg.det(cov)), rel=1e-6)
    assert "Monte Carlo" in s["rate"].note  # no analytic KL(MVN || factorised normal) is registered
    assert result.dimensionwise_kl_per_dim.sum() == pytest.approx(s["dimensionwise_kl"].value, rel=1e-9)


def test_sharp_well_separated_posteriors_hit_the_log_n_ceiling_and_say_so():
    torch.manual_seed(4)
    n = 64
    locs = 3.0 * torch.randn(n, 4)
    vae = GivenPosteriors(lambda i: dist.Normal(locs[i], 0.01).to_event(1), standard_normal(4))
    s = diagnose_latents(vae, indices(n)).scalars
    assert s["index_code_mi"].value <= math.log(n) + 1e-9
    assert s["index_code_mi"].value == pytest.approx(math.log(n), abs=1e-3)
    assert s["marginal_kl"].value >= s["rate"].value - math.log(n) - 1e-6
    assert "log N" in s["marginal_kl"].note and "rate - log N" in s["marginal_kl"].note


class NonScoringPosterior(DiagonalNormal):
    scores_any_point = False


class ContextEncoder(torch.nn.Module):
    def __init__(self, posterior, prior):
        super().__init__()
        self.posterior, self._prior = posterior, prior

    def prior(self):
        return self._prior

    def guide(self, h):
        import pyro

        with pyro.plate("points", h.shape[0]):
            pyro.sample("z", self.posterior(h))


def test_posterior_that_cannot_score_foreign_codes_skips_mixture_estimates_with_a_note():
    torch.manual_seed(5)
    vae = ContextEncoder(NonScoringPosterior(3, 2), standard_normal(2))
    s = diagnose_latents(vae, list(torch.randn(40, 3).split(10))).scalars
    for name in ("marginal_kl", "index_code_mi", "total_correlation", "dimensionwise_kl"):
        assert math.isnan(s[name].value) and "IAF" in s[name].note
    for name in ("rate", "mmd", "ks_max", "log_det_cov"):
        assert math.isfinite(s[name].value)


def test_mixture_prior_skips_the_total_correlation_and_uses_the_two_sample_ks():
    torch.manual_seed(6)
    mixture = dist.MixtureSameFamily(
        dist.Categorical(torch.ones(2)), dist.Normal(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]), 1.0).to_event(1)
    )
    vae = GivenPosteriors(lambda i: standard_normal(2).expand((i.shape[0],)), mixture)
    result = diagnose_latents(vae, indices(300), num_prior_samples=500)
    s = result.scalars
    assert math.isnan(s["total_correlation"].value) and "factorised prior" in s["total_correlation"].note
    assert result.ks_method.startswith("two-sample") and result.prior_samples.shape == (500, 2)
    assert "prior" in s["moment_matched_kl"].note  # the mixture's moments come from its samples
    assert math.isfinite(s["marginal_kl"].value) and "Monte Carlo" in s["rate"].note


def test_aggregate_moments_and_marginals_are_the_mixture_s():
    locs, scales = torch.tensor([[0.0, 1.0], [2.0, -1.0], [1.0, 0.0]]), torch.tensor([[1.0, 0.5], [0.5, 1.0], [0.2, 0.2]])
    posterior = AggregatePosterior([dist.Normal(locs[:2], scales[:2]).to_event(1), dist.Normal(locs[2:], scales[2:]).to_event(1)])
    mean, cov = posterior.moments()
    second = (scales**2 + locs**2).mean(0)
    cross = (locs[:, 0] * locs[:, 1]).mean()
    torch.testing.assert_close(mean, locs.double().mean(0))
    expected = torch.tensor([[second[0], cross], [cross, second[1]]], dtype=torch.float64) - torch.outer(mean, mean)
    torch.testing.assert_close(cov, expected)
    z = torch.tensor([[0.3, -0.2], [1.5, 2.0]])
    marginal = torch.distributions.Normal(locs, scales).log_prob(z.unsqueeze(1)).exp().mean(1).log()
    torch.testing.assert_close(posterior.marginal_log_density(z), marginal.double())


def test_to_dict_is_json():
    import json

    torch.manual_seed(7)
    vae = GivenPosteriors(lambda i: standard_normal(2).expand((i.shape[0],)), standard_normal(2))
    text = json.dumps(diagnose_latents(vae, indices(50)).to_dict())
    assert '"marginal_kl"' in text and '"ks_statistic"' in text
