"""Metrics that score log q(z | x) at foreign points work with IAF and refuse planar flows."""

from __future__ import annotations

import math

import pyro
import pytest
import torch

from pyrovae.errors import UnsupportedModelError
from pyrovae.infer import importance_log_likelihood
from pyrovae.latent import InverseAutoregressiveFlow, PlanarFlow
from pyrovae.metrics import AggregatePosterior, evaluate, mutual_information
from pyrovae.vae import TextVAE
from tests.helpers import tiny_batch, tiny_vae
from tests.latent.test_flow_posteriors import identity_flow_vae

N = 1000


def planar_vae() -> TextVAE:
    base = tiny_vae()
    return TextVAE(base.encoder, PlanarFlow(12, 3, steps=3), base.prior, base.decoder)


def flow_encoder(a: torch.Tensor, s: torch.Tensor):
    """``q(z | x) = f # N(a x, s^2)`` with ``f`` a (perturbed) IAF shared by all points."""
    dim = len(a)
    torch.manual_seed(0)
    posterior = InverseAutoregressiveFlow(dim, dim, steps=2, conditional=False, hidden_dims=[16])
    with torch.no_grad():
        for parameter in posterior.steps.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
        posterior.base.to_params.weight.copy_(torch.cat([torch.diag(a), torch.zeros(dim, dim)]))
        posterior.base.to_params.bias.copy_(torch.cat([torch.zeros(dim), 2 * torch.log(s)]))

    def guide(x: torch.Tensor) -> None:
        with pyro.plate("points", x.shape[0]):
            pyro.sample("code", posterior(x))

    return guide


def test_mutual_information_of_an_iaf_posterior_matches_the_closed_form():
    """I(x; f(z)) = I(x; z) for a bijection f shared by all x, so a linear-Gaussian encoder
    followed by an IAF keeps I = sum_d 0.5 log(1 + a_d^2 / s_d^2); the estimate scores every code
    under every point's flow posterior, through the IAF's inverse."""
    a, s = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.5])
    torch.manual_seed(1)
    x = torch.randn(N, 2)
    with torch.no_grad():
        posterior = AggregatePosterior.collect(flow_encoder(a, s), x.split(250))
        estimate = mutual_information(posterior)
    exact = float(0.5 * torch.log1p(a**2 / s**2).sum())
    assert abs(estimate.value - exact) < 4 * estimate.stderr + 0.03, (estimate, exact)


@pytest.mark.parametrize("name", ["iaf", "iaf-shared"])
def test_identity_iaf_gives_the_gaussian_mutual_information_and_likelihood(name):
    gaussian = tiny_vae().eval()
    flow = identity_flow_vae(name, gaussian).eval()
    batches = [tiny_batch(seed=k, size=8) for k in range(3)]
    results = []
    for vae in (gaussian, flow):
        pyro.set_rng_seed(5)
        with torch.no_grad():
            mi = mutual_information(AggregatePosterior.collect(vae.guide, batches), samples_per_point=2)
            iw = importance_log_likelihood(vae.model, vae.guide, batches[0], num_samples=7)
        results.append((mi.value, iw))
    assert results[1][0] == pytest.approx(results[0][0], abs=1e-5)
    assert torch.allclose(results[1][1], results[0][1], atol=1e-4)


def test_planar_posterior_metrics_refuse_foreign_points_and_say_what_to_use():
    gaussian = tiny_vae().eval()
    planar = identity_flow_vae("planar", gaussian).eval()
    batches = [tiny_batch(seed=k, size=8) for k in range(2)]
    with pytest.raises(UnsupportedModelError, match=r"PlanarFlow cannot score points.*IAF"):
        AggregatePosterior.collect(planar.guide, batches)
    # the importance-weighted likelihood scores only the guide's own draws: it works
    likelihoods = []
    for vae in (gaussian, planar):
        pyro.set_rng_seed(5)
        likelihoods.append(importance_log_likelihood(vae.model, vae.guide, batches[0], num_samples=7))
    assert torch.allclose(likelihoods[0], likelihoods[1], atol=1e-4)
    report = evaluate(planar_vae(), batches, iw_samples=3)
    assert math.isnan(report["mutual_information"].value)
    assert "planar flows have no inverse" in report["mutual_information"].note
    assert math.isfinite(report["iw_log_likelihood"].value) and math.isfinite(report["elbo"].value)
