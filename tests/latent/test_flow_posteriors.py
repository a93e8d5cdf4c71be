"""Flow posteriors against direct computations: autograd Jacobians, inverses, change of variables."""

from __future__ import annotations

from functools import reduce

import pyro
import pytest
import torch
from pyro.infer.enum import get_importance_trace

from pyrovae.errors import ConfigError, UnsupportedModelError
from pyrovae.infer import ELBO, MDR, FreeBits, rate_distortion
from pyrovae.latent import (
    InverseAutoregressiveFlow,
    MixtureOfGaussians,
    PlanarFlow,
    StandardNormal,
)
from pyrovae.train.loss_module import VAELoss
from pyrovae.vae import TextVAE
from tests.helpers import tiny_batch, tiny_vae

CONTEXT, LATENT = 5, 4

FLOWS = {
    "iaf": lambda **kw: InverseAutoregressiveFlow(CONTEXT, LATENT, **kw),
    "iaf-stable": lambda **kw: InverseAutoregressiveFlow(CONTEXT, LATENT, stable=True, **kw),
    "iaf-shared": lambda **kw: InverseAutoregressiveFlow(CONTEXT, LATENT, conditional=False, **kw),
    "iaf-shared-stable": lambda **kw: InverseAutoregressiveFlow(CONTEXT, LATENT, conditional=False, stable=True, **kw),
    "planar": lambda **kw: PlanarFlow(CONTEXT, LATENT, **kw),
    "planar-shared": lambda **kw: PlanarFlow(CONTEXT, LATENT, conditional=False, **kw),
}
INVERTIBLE = [name for name in FLOWS if name.startswith("iaf")]




def _flow(name: str, steps: int = 2, seed: int = 0):
    """A flow whose parameters are perturbed away from their (near-identity) initialisation."""
    torch.manual_seed(seed)
    posterior = FLOWS[name](steps=steps)
    with torch.no_grad():
        for parameter in posterior.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    return posterior


def _compose(posterior, context):
    """``z0 -> z`` through freshly conditioned transforms (no cached values)."""
    return lambda z0: reduce(lambda x, t: t(x), posterior.get_transforms(context), z0)


@pytest.mark.parametrize("name", FLOWS)
def test_every_step_log_det_matches_the_autograd_jacobian(name, float64):
    posterior = _flow(name)
    context, x = torch.randn(3, CONTEXT), torch.randn(3, LATENT)
    for step in posterior.steps:
        for h, point in zip(context, x):
            transform = step.condition(h)
            y = transform(point)
            jacobian = torch.autograd.functional.jacobian(lambda v: step.condition(h)(v), point)
            expected = torch.linalg.slogdet(jacobian).logabsdet
            assert float(transform.log_abs_det_jacobian(point, y).detach()) == pytest.approx(float(expected), abs=1e-10)
            assert abs(float(expected)) > 1e-5  # the perturbed step is not the identity


@pytest.mark.parametrize("name", INVERTIBLE)
def test_iaf_inverse_round_trip(name, float64):
    posterior = _flow(name, steps=3)
    context, z0 = torch.randn(6, CONTEXT), torch.randn(6, LATENT)
    z = _compose(posterior, context)(z0)
    recovered = z
    for transform in reversed(posterior.get_transforms(context)):  # fresh: no cached inverse
        recovered = transform.inv(recovered)
    assert torch.allclose(recovered, z0, atol=1e-10)
    assert not torch.allclose(z, z0, atol=1e-2)


def _direct_log_prob(posterior, context, z0):
    """log q0(z0 | h) - log|det dz/dz0| with the Jacobian of the whole flow from autograd."""
    compose = _compose(posterior, context)
    log_det = torch.linalg.slogdet(torch.autograd.functional.jacobian(compose, z0)).logabsdet
    return (posterior.get_base_dist(context).log_prob(z0) - log_det).detach()


@pytest.mark.parametrize("name", FLOWS)
def test_log_prob_of_own_draws_is_the_change_of_variables(name, float64):
    posterior = _flow(name)
    context = torch.randn(4, CONTEXT)
    q = posterior(context)
    torch.manual_seed(1)
    z = q.rsample()
    torch.manual_seed(1)
    z0 = q.base_dist.rsample()
    log_q = q.log_prob(z).detach()
    for n in range(4):
        assert float(log_q[n]) == pytest.approx(float(_direct_log_prob(posterior, context[n], z0[n])), abs=1e-9)


@pytest.mark.parametrize("name", INVERTIBLE)
def test_iaf_log_prob_at_foreign_points_is_the_change_of_variables(name, float64):
    """A point the distribution did not draw is scored through the (sequential) inverse."""
    posterior = _flow(name)
    context, z0 = torch.randn(4, CONTEXT), torch.randn(4, LATENT)
    z = _compose(posterior, context)(z0).detach().clone()
    log_q = posterior(context).log_prob(z).detach()
    for n in range(4):
        assert float(log_q[n]) == pytest.approx(float(_direct_log_prob(posterior, context[n], z0[n])), abs=1e-9)


@pytest.mark.parametrize("name", ["planar", "planar-shared"])
def test_planar_refuses_foreign_points_with_a_clear_message(name, float64):
    posterior = _flow(name)
    assert not posterior.scores_any_point
    q = posterior(torch.randn(2, CONTEXT))
    with pytest.raises(UnsupportedModelError, match="planar flow cannot score a point.*posterior=iaf"):
        q.log_prob(torch.randn(2, LATENT))


def test_flows_run_in_float32_under_autocast():
    posterior = _flow("iaf")
    q = posterior(torch.randn(3, CONTEXT))
    z = torch.randn(3, LATENT)
    reference = q.log_prob(z)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = q.log_prob(z)
        sample = posterior(torch.randn(3, CONTEXT).bfloat16()).rsample()
    assert inside.dtype == sample.dtype == torch.float32
    assert torch.allclose(inside, reference, atol=1e-6)


IDENTITY_FLOWS = {
    "iaf": lambda: InverseAutoregressiveFlow(12, 3, steps=1, identity_init=True),
    "iaf-shared": lambda: InverseAutoregressiveFlow(12, 3, steps=1, conditional=False, identity_init=True),
    "planar": lambda: PlanarFlow(12, 3, steps=1, identity_init=True),
    "planar-shared": lambda: PlanarFlow(12, 3, steps=1, conditional=False, identity_init=True),
}


def identity_flow_vae(name: str, gaussian: TextVAE) -> TextVAE:
    """The Gaussian VAE's modules with a one-step identity flow on its posterior."""
    posterior = IDENTITY_FLOWS[name]()
    posterior.base.load_state_dict(gaussian.posterior.state_dict())
    return TextVAE(gaussian.encoder, posterior, gaussian.prior, gaussian.decoder)


@pytest.mark.parametrize("name", IDENTITY_FLOWS)
def test_one_step_identity_flow_equals_the_gaussian_guide_in_loss_and_gradient(name):
    gaussian = tiny_vae()
    flow = identity_flow_vae(name, gaussian)
    batch = tiny_batch(size=6)
    shared = [*gaussian.encoder.parameters(), *gaussian.decoder.parameters()]
    results = []
    for vae, base in ((gaussian, gaussian.posterior), (flow, flow.posterior.base)):
        pyro.set_rng_seed(3)  # same noise and dropout masks for both
        objective = ELBO(analytic_kl=False)  # the flow's rate is Monte Carlo: compare like with like
        loss, terms = VAELoss(vae, objective)(batch)
        results.append((loss, terms.rate, torch.autograd.grad(loss, shared + list(base.parameters()))))
    (loss_g, rate_g, grads_g), (loss_f, rate_f, grads_f) = results
    assert float(loss_f.detach()) == pytest.approx(float(loss_g.detach()), abs=1e-6)
    assert float(rate_f) == pytest.approx(float(rate_g), abs=1e-6)
    for a, b in zip(grads_g, grads_f):
        assert torch.allclose(a, b, atol=1e-6)
    # and the flow's own parameters do get a gradient: the identity is not a stationary point
    loss, _ = VAELoss(flow, ELBO(analytic_kl=False))(batch)
    step_grads = torch.autograd.grad(loss, list(flow.posterior.steps.parameters()), allow_unused=True)
    assert any(g is not None and g.abs().sum() > 0 for g in step_grads)


def test_stable_iaf_cannot_start_as_the_identity():
    with pytest.raises(ConfigError, match="stable IAF cannot start as the identity"):
        InverseAutoregressiveFlow(12, 3, stable=True, identity_init=True)


def test_bad_flow_options_are_config_errors():
    with pytest.raises(ConfigError, match="number of flow steps must be a positive integer"):
        InverseAutoregressiveFlow(12, 3, steps=0)
    with pytest.raises(ConfigError, match="at least latent_dim=3"):
        InverseAutoregressiveFlow(12, 3, hidden_dims=[2])
    with pytest.raises(ConfigError, match="conditional=true"):
        PlanarFlow(12, 3, conditional=False, hidden_dims=[8])


@pytest.mark.parametrize("name", ["iaf", "planar"])
def test_flow_rate_is_the_monte_carlo_log_ratio_with_log_determinants(name):
    """The shared accounting scores the guide's draw with its cached inverse; rescoring the same
    point through a fresh distribution (IAF: the sequential inverse) gives the same rate."""
    torch.manual_seed(0)
    base = tiny_vae()
    posterior = IAF_OR_PLANAR[name]()
    vae = TextVAE(base.encoder, posterior, base.prior, base.decoder)
    batch = tiny_batch(size=5)
    model_trace, guide_trace = get_importance_trace("flat", 1, vae.model, vae.guide, (batch,), {})
    site = rate_distortion(model_trace, guide_trace).rates["z"]
    assert not site.analytic and site.per_dim is None
    z = site.sample.detach()
    with torch.no_grad():
        if posterior.scores_any_point:
            log_q = vae.posterior_distribution(batch).log_prob(z)
        else:  # no inverse: rebuild the draw from the same noise
            pyro.set_rng_seed(7)
            q = vae.posterior_distribution(batch)
            z = q.rsample()
            log_q = q.log_prob(z)
            pyro.set_rng_seed(7)
            model_trace, guide_trace = get_importance_trace("flat", 1, vae.model, vae.guide, (batch,), {})
            site = rate_distortion(model_trace, guide_trace).rates["z"]
            assert torch.allclose(site.sample, z)
        expected = log_q - vae.prior().log_prob(z)
    assert torch.allclose(site.values.detach(), expected, atol=1e-5)


IAF_OR_PLANAR = {"iaf": lambda: InverseAutoregressiveFlow(12, 3), "planar": lambda: PlanarFlow(12, 3)}


@pytest.mark.parametrize(
    "posterior, prior",
    [("iaf", StandardNormal), ("planar", StandardNormal), (None, lambda d: MixtureOfGaussians(d, components=3))],
    ids=["iaf", "planar", "mixture-prior"],
)
@pytest.mark.parametrize("objective", [lambda: FreeBits(per_dim=0.5), lambda: MDR(per_dim=0.1)], ids=["free_bits", "mdr"])
def test_per_dimension_objectives_name_the_site_and_the_total_rate_variant(posterior, prior, objective):
    base = tiny_vae()
    vae = TextVAE(base.encoder, IAF_OR_PLANAR[posterior]() if posterior else base.posterior, prior(3), base.decoder)
    with pytest.raises(UnsupportedModelError, match="latent site 'z' has no per-dimension rate.*total-rate variant"):
        VAELoss(vae, objective())(tiny_batch())
    for total in (FreeBits(total=1.0), MDR(target=1.0)):
        assert torch.isfinite(VAELoss(vae, total)(tiny_batch())[0])
