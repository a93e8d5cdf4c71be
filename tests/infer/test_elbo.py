"""The plain ELBO objective against Pyro's own ELBOs, and the rate/distortion accounting."""

import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro import poutine
from pyro.infer import Trace_ELBO, TraceMeanField_ELBO

from pyrovae.errors import UnsupportedModelError
from pyrovae.infer import ELBO, rate_distortion
from tests.helpers import tiny_batch, tiny_vae


def _value_and_grads(loss_fn, vae, batch, seed=3):
    vae.zero_grad()
    pyro.set_rng_seed(seed)
    loss = loss_fn(vae.model, vae.guide, batch)
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in vae.parameters()]


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (ELBO(analytic_kl=False), Trace_ELBO()),
        (ELBO(analytic_kl=True), TraceMeanField_ELBO()),
        (
            ELBO(num_particles=4, vectorize_particles=True, max_plate_nesting=1, analytic_kl=False),
            Trace_ELBO(num_particles=4, vectorize_particles=True, max_plate_nesting=1),
        ),
    ],
    ids=["monte-carlo-vs-Trace_ELBO", "analytic-vs-TraceMeanField_ELBO", "vectorized-particles"],
)
def test_elbo_equals_pyro_in_value_and_gradient(ours, theirs):
    vae, batch = tiny_vae(), tiny_batch()
    loss, grads = _value_and_grads(ours.differentiable_loss, vae, batch)
    ref_loss, ref_grads = _value_and_grads(theirs.differentiable_loss, vae, batch)
    assert torch.allclose(loss, ref_loss, atol=1e-5)
    for g, r in zip(grads, ref_grads):
        assert torch.allclose(g, r, atol=1e-5)


def test_terms_are_per_sentence_and_consistent():
    vae, batch = tiny_vae(), tiny_batch(size=5)
    objective = ELBO()
    pyro.set_rng_seed(1)
    loss, terms = objective.loss_and_terms(vae.model, vae.guide, batch)
    pyro.set_rng_seed(1)
    assert torch.equal(objective.differentiable_loss(vae.model, vae.guide, batch), loss)
    assert terms.num_data == 5
    assert torch.allclose(terms.objective * 5, loss.detach())
    assert torch.allclose(-terms.elbo, terms.distortion + terms.rate)
    assert torch.allclose(terms.rate_per_dim.sum(), terms.rate, atol=1e-6)


def _traces(model, guide, *args):
    guide_trace = poutine.trace(guide).get_trace(*args)
    model_trace = poutine.trace(poutine.replay(model, trace=guide_trace)).get_trace(*args)
    model_trace.compute_log_prob()
    guide_trace.compute_score_parts()
    return model_trace, guide_trace


def test_analytic_rate_is_closed_form_gaussian_kl_and_monte_carlo_agrees():
    """KL(N(m, s^2) || N(0, 1)) = 0.5 (m^2 + s^2 - 1) - log s, per dimension; MC converges to it."""
    torch.set_default_dtype(torch.float64)
    try:
        loc = torch.tensor([0.5, -1.0, 2.0])
        scale = torch.tensor([0.3, 1.0, 1.7])
        expected = 0.5 * (loc**2 + scale**2 - 1) - scale.log()

        def model():
            with pyro.plate("data", 200_000):
                pyro.sample("z", dist.Normal(0.0, 1.0).expand([3]).to_event(1))

        def guide():
            with pyro.plate("data", 200_000):
                pyro.sample("z", dist.Normal(loc, scale).to_event(1))

        exact = rate_distortion(*_traces(model, guide), analytic_kl=True).rates["z"]
        assert exact.analytic and exact.count == 200_000
        assert torch.allclose(exact.per_dim / exact.count, expected, atol=1e-10)
        mc = rate_distortion(*_traces(model, guide), analytic_kl=False).rates["z"]
        assert not mc.analytic
        # Monte Carlo standard error of log q - log p per dimension is below 0.01 here.
        assert torch.allclose(mc.per_dim / mc.count, expected, atol=0.03)
        assert abs(float(mc.total / mc.count) - float(expected.sum())) < 0.05
    finally:
        torch.set_default_dtype(torch.float32)


def test_non_factorised_posterior_has_no_per_dim_rate_and_says_so():
    def model():
        pyro.sample("w", dist.MultivariateNormal(torch.zeros(2), torch.eye(2)))

    def guide():
        pyro.sample("w", dist.MultivariateNormal(torch.ones(2), 0.5 * torch.eye(2)))

    site = rate_distortion(*_traces(model, guide)).rates["w"]
    assert site.per_dim is None and site.analytic
    with pytest.raises(UnsupportedModelError, match="'w'.*total-rate"):
        site.require_per_dim()


def test_distortion_and_rate_split_the_negative_elbo():
    """With Monte Carlo rates, -(D + R) is exactly log p(x, z) - log q(z | x) of the traces."""
    vae, batch = tiny_vae(), tiny_batch()
    model_trace, guide_trace = _traces(vae.model, vae.guide, batch)
    terms = rate_distortion(model_trace, guide_trace, analytic_kl=False)
    assert terms.num_data == batch.size
    expected = model_trace.log_prob_sum() - guide_trace.log_prob_sum()
    assert torch.allclose(terms.elbo, expected, atol=1e-5)
    observed = model_trace.nodes["tokens"]["log_prob_sum"]
    assert torch.allclose(terms.distortion, -observed)


def test_per_data_point_terms_sum_to_the_totals():
    vae, batch = tiny_vae(), tiny_batch(size=6)
    terms = rate_distortion(*_traces(vae.model, vae.guide, batch), analytic_kl=True)
    distortion, rate = terms.per_data_point()
    assert distortion.shape == rate.shape == (6,)
    assert torch.allclose(distortion.sum(), terms.distortion)
    assert torch.allclose(rate.sum(), terms.rate)
    # Each sentence's analytic rate is its own Gaussian KL.
    q = vae.posterior_distribution(batch).base_dist
    expected = 0.5 * (q.loc**2 + q.scale**2 - 1).sum(-1) - q.scale.log().sum(-1)
    assert torch.allclose(rate, expected, atol=1e-5)


def test_monte_carlo_rate_honours_site_scale_once():
    """A site scaled by poutine.scale contributes scale * (log q - log p), as in Trace_ELBO."""

    def model():
        with poutine.scale(scale=0.25):
            pyro.sample("z", dist.Normal(0.0, 1.0))

    def guide():
        with poutine.scale(scale=0.25):
            pyro.sample("z", dist.Normal(1.0, 0.5))

    model_trace, guide_trace = _traces(model, guide)
    site = rate_distortion(model_trace, guide_trace, analytic_kl=False).rates["z"]
    z = guide_trace.nodes["z"]["value"]
    expected = 0.25 * (dist.Normal(1.0, 0.5).log_prob(z) - dist.Normal(0.0, 1.0).log_prob(z))
    assert torch.allclose(site.total, expected)
    assert torch.allclose(-rate_distortion(model_trace, guide_trace, analytic_kl=False).elbo,
                          -(model_trace.log_prob_sum() - guide_trace.log_prob_sum()))
