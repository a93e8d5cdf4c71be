"""Priors against hand-computed densities; their KL goes through the shared accounting."""

from __future__ import annotations

import math

import numpy as np
import pyro
import pytest
import torch
from pyro.infer.enum import get_importance_trace
from safetensors.torch import load_file, save_file
from scipy.special import logsumexp
from scipy.stats import norm

from pyrovae.errors import ConfigError, UnsupportedModelError
from pyrovae.infer import rate_distortion
from pyrovae.latent import (
    InverseAutoregressiveFlow,
    LearnableNormal,
    MixtureOfGaussians,
    PlanarFlow,
    VampPrior,
)
from pyrovae.vae import TextVAE
from tests.helpers import tiny_batch, tiny_vae


def _mixture_log_density(z, weights, locs, scales):
    """log sum_k w_k prod_d N(z_d; loc_kd, scale_kd), by hand with scipy (float64)."""
    z, locs, scales = (np.asarray(a, dtype=np.float64) for a in (z, locs, scales))
    per_component = norm.logpdf(z[:, None, :], locs[None], scales[None]).sum(-1)  # [N, K]
    return logsumexp(per_component + np.log(np.asarray(weights, dtype=np.float64)), axis=-1)


def _perturbed_mixture(latent_dim=3, components=4):
    torch.manual_seed(0)
    prior = MixtureOfGaussians(latent_dim, components=components)
    with torch.no_grad():
        prior.log_scale.normal_(0, 0.5)
        prior.logits.normal_(0, 1)
    return prior


def test_mixture_prior_log_prob_is_the_mixture_density():
    prior = _perturbed_mixture()
    z = torch.randn(7, 3) * 2
    weights = torch.softmax(prior.logits, -1).detach()
    expected = _mixture_log_density(z, weights, prior.loc.detach(), prior.log_scale.exp().detach())
    assert np.allclose(prior().log_prob(z).detach().numpy(), expected, atol=1e-5)
    assert prior().event_shape == (3,) and prior.components == 4


def _vae_with(prior, posterior=None):
    base = tiny_vae()
    return TextVAE(base.encoder, posterior or base.posterior, prior, base.decoder)


def _site(vae, batch):
    model_trace, guide_trace = get_importance_trace("flat", 1, vae.model, vae.guide, (batch,), {})
    return rate_distortion(model_trace, guide_trace).rates["z"]


def test_kl_to_a_mixture_prior_is_the_monte_carlo_log_ratio():
    vae = _vae_with(_perturbed_mixture())
    batch = tiny_batch(size=5)
    site = _site(vae, batch)
    assert not site.analytic and site.per_dim is None
    z = site.sample.detach()
    q = vae.posterior_distribution(batch)
    loc, scale = q.base_dist.loc.detach(), q.base_dist.scale.detach()
    log_q = norm.logpdf(z.numpy(), loc.numpy(), scale.numpy()).sum(-1)
    prior = vae.prior
    log_p = _mixture_log_density(z, torch.softmax(prior.logits, -1).detach(), prior.loc.detach(), prior.log_scale.exp().detach())
    assert np.allclose(site.values.detach().numpy(), log_q - log_p, atol=1e-4)


def test_learnable_normal_prior_keeps_the_analytic_per_dimension_kl():
    prior = LearnableNormal(3)
    with torch.no_grad():
        prior.loc.copy_(torch.tensor([0.5, -1.0, 0.0]))
        prior.log_scale.copy_(torch.tensor([0.2, -0.3, 0.0]))
    vae = _vae_with(prior)
    batch = tiny_batch(size=5)
    site = _site(vae, batch)
    q = vae.posterior_distribution(batch).base_dist
    m1, s1 = q.loc.detach(), q.scale.detach()
    m2, s2 = prior.loc.detach(), prior.log_scale.exp().detach()
    closed_form = torch.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5  # [B, D]
    assert site.analytic
    assert torch.allclose(site.per_dim.detach(), closed_form.sum(0), atol=1e-5)
    assert torch.allclose(site.values.detach(), closed_form.sum(-1), atol=1e-5)


def test_encoder_reads_embedded_inputs_like_tokens():
    encoder = tiny_vae().encoder.eval()
    tokens = torch.randint(4, 20, (3, 6))
    from_tokens = encoder.encode(tokens, torch.full((3,), 6))
    assert torch.allclose(encoder.encode_embedded(encoder.embedding(tokens)), from_tokens, atol=1e-6)


def test_vamp_prior_is_the_uniform_mixture_of_posteriors_at_the_pseudo_inputs():
    torch.manual_seed(0)
    vae = _vae_with(VampPrior(3, components=5, length=4))
    prior, encoder, posterior = vae.prior, vae.encoder, vae.posterior
    assert prior.pseudo_inputs.shape == (5, 4, encoder.embedding.embedding_dim)
    z = torch.randn(6, 3)
    with torch.no_grad():
        loc, log_var = posterior.to_params(encoder.encode_embedded(prior.pseudo_inputs)).chunk(2, -1)
        expected = _mixture_log_density(z, np.full(5, 0.2), loc, torch.exp(0.5 * log_var))
        assert np.allclose(prior().log_prob(z).numpy(), expected, atol=1e-5)
        # under the data plate, as in the model
        with pyro.plate("sentences", 6):
            assert np.allclose(prior().expand([6]).log_prob(z).numpy(), expected, atol=1e-5)
    prior().log_prob(z).sum().backward()
    assert prior.pseudo_inputs.grad.abs().sum() > 0
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in encoder.parameters())


def test_vamp_prior_with_an_iaf_scores_each_component_through_the_inverse():
    torch.manual_seed(0)
    vae = _vae_with(VampPrior(3, components=4, length=3), InverseAutoregressiveFlow(12, 3, steps=2))
    z = torch.randn(5, 3)
    with torch.no_grad():
        context = vae.encoder.encode_embedded(vae.prior.pseudo_inputs)
        per_component = torch.stack([vae.posterior(context[k]).log_prob(z) for k in range(4)], -1)
        expected = torch.logsumexp(per_component, -1) - math.log(4)
        assert torch.allclose(vae.prior().log_prob(z), expected, atol=1e-5)
        assert vae.prior().sample((7,)).shape == (7, 3)
    site = _site(vae, tiny_batch(size=4))
    assert not site.analytic and torch.isfinite(site.total)


def test_vamp_prior_stores_only_its_pseudo_inputs(tmp_path):
    vae = _vae_with(VampPrior(3, components=5, length=4))
    state = vae.state_dict()
    assert [k for k in state if k.startswith("prior.")] == ["prior.pseudo_inputs"]
    others = sum(p.numel() for m in (vae.encoder, vae.posterior, vae.decoder) for p in m.parameters())
    assert sum(p.numel() for p in vae.parameters()) == others + vae.prior.pseudo_inputs.numel()
    save_file(state, tmp_path / "weights.safetensors")  # no tensor stored twice
    reloaded = _vae_with(VampPrior(3, components=5, length=4))
    reloaded.load_state_dict(load_file(tmp_path / "weights.safetensors"))
    z = torch.randn(4, 3)
    assert torch.allclose(reloaded.prior().log_prob(z), vae.prior().log_prob(z))


def test_vamp_prior_misuse_is_reported():
    with pytest.raises(UnsupportedModelError, match="not bound"):
        VampPrior(3)()
    with pytest.raises(ConfigError, match="PlanarFlow cannot do"):
        _vae_with(VampPrior(3), PlanarFlow(12, 3))
    with pytest.raises(ConfigError, match="latent_dim 3 differs"):
        _vae_with(VampPrior(4))
    with pytest.raises(ConfigError, match="positive integer"):
        VampPrior(3, components=0)
    with pytest.raises(ConfigError, match="number of mixture components must be a positive integer"):
        MixtureOfGaussians(3, components=0)
