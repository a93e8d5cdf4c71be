"""Every registered posterior and prior through the same checks.

For each name in :data:`~pyrovae.latent.POSTERIORS` and :data:`~pyrovae.latent.PRIORS` (built as
``--set posterior=NAME`` / ``prior=NAME`` builds them, default options): the distribution's shapes
and ``log_prob``; gradients of the ELBO reach every parameter of the module; a save/load round
trip through the checkpoint weights file gives the same distribution; and where the rate has a
closed form, the analytic KL equals the Monte Carlo estimate ``E_q[log q - log p]`` within its
standard error. A newly registered latent is checked without a new test.
"""

from __future__ import annotations

import pyro
import pytest
import torch
from pyro.infer.enum import get_importance_trace

from pyrovae.errors import ConfigError
from pyrovae.infer import ELBO, rate_distortion
from pyrovae.latent import POSTERIORS, PRIORS, DiagonalNormal, StandardNormal
from pyrovae.train.loss_module import VAELoss
from pyrovae.train.weights import load_weights, save_weights
from pyrovae.vae import TextVAE
from tests.helpers import tiny_batch, tiny_vae

LATENT, HIDDEN = 3, 12


def _vae(posterior: str | None = None, prior: str | None = None, seed: int = 0) -> TextVAE:
    """The tiny LSTM VAE with the named posterior and prior, parameters perturbed off their initialisation."""
    base = tiny_vae(latent_dim=LATENT, seed=seed)
    torch.manual_seed(seed + 1)
    q = POSTERIORS.get(posterior)(HIDDEN, LATENT) if posterior else DiagonalNormal(HIDDEN, LATENT)
    p = PRIORS.get(prior)(LATENT) if prior else StandardNormal(LATENT)
    vae = TextVAE(base.encoder, q, p, base.decoder)
    with torch.no_grad():
        for module in (q, p):
            for parameter in module.parameters():
                parameter.add_(0.1 * torch.randn_like(parameter))
    return vae


def _own_parameters(vae: TextVAE, kind: str) -> dict[str, torch.nn.Parameter]:
    return {f"{kind}.{name}": p for name, p in getattr(vae, kind).named_parameters()}


def _check_gradients(vae: TextVAE, kind: str) -> None:
    loss, _ = VAELoss(vae, ELBO(analytic_kl=False))(tiny_batch(size=6))
    loss.backward()
    for name, parameter in _own_parameters(vae, kind).items():
        assert parameter.grad is not None, f"{name} gets no gradient"
        assert torch.isfinite(parameter.grad).all() and parameter.grad.abs().sum() > 0, f"{name}: zero gradient"


def _round_trip(vae: TextVAE, tmp_path, posterior: str | None = None, prior: str | None = None) -> TextVAE:
    """``vae``'s weights saved as a checkpoint saves them, loaded into a differently initialised twin."""
    path = tmp_path / "model.safetensors"
    save_weights(path, vae.state_dict())
    again = _vae(posterior, prior, seed=7)
    again.load_state_dict(load_weights(path))
    return again


@pytest.mark.parametrize("name", POSTERIORS.names())
def test_every_posterior(name, tmp_path):
    vae = _vae(posterior=name)
    batch = tiny_batch(size=5)
    q = vae.posterior_distribution(batch)
    assert q.batch_shape == (5,) and q.event_shape == (LATENT,)
    z = q.rsample()
    assert z.shape == (5, LATENT) and q.log_prob(z).shape == (5,) and torch.isfinite(q.log_prob(z)).all()
    assert q.rsample((4,)).shape == (4, 5, LATENT)
    _check_gradients(vae, "posterior")

    vae.eval()
    again = _round_trip(vae, tmp_path, posterior=name).eval()
    torch.manual_seed(11)
    first = vae.posterior_distribution(batch)
    z = first.rsample()
    own = first.log_prob(z)  # a planar flow scores only its own draws: compare those
    torch.manual_seed(11)
    second = again.posterior_distribution(batch)
    z_again = second.rsample()
    assert torch.allclose(z_again, z, atol=1e-6)
    assert torch.allclose(second.log_prob(z_again), own, atol=1e-5)


@pytest.mark.parametrize("name", PRIORS.names())
def test_every_prior(name, tmp_path):
    vae = _vae(prior=name)
    p = vae.prior.for_batch(tiny_batch(size=5))
    assert p.event_shape == (LATENT,)
    z = p.sample((7,))
    assert z.shape[-1] == LATENT and p.log_prob(z).shape == z.shape[:-1] and torch.isfinite(p.log_prob(z)).all()
    if list(vae.prior.parameters()):
        _check_gradients(vae, "prior")

    again = _round_trip(vae, tmp_path, prior=name)
    assert torch.allclose(again.prior.for_batch(tiny_batch(size=5)).log_prob(z), p.log_prob(z), atol=1e-5)


def _rates(vae: TextVAE, batch, analytic: bool, samples: int) -> torch.Tensor:
    """``[samples, B]`` per-sentence rates of independent guide draws (analytic or one-sample MC)."""
    # Pyro's shape check compares the prior before the outer plate broadcasts it: off for this trace.
    with torch.no_grad(), pyro.validation_enabled(False), pyro.plate("draws", samples, dim=-2):
        model_trace, guide_trace = get_importance_trace("flat", 2, vae.model, vae.guide, (batch,), {})
        return rate_distortion(model_trace, guide_trace, analytic_kl=analytic).rates["z"].values


@pytest.mark.parametrize("posterior, prior", [(q, p) for q in POSTERIORS.names() for p in PRIORS.names()])
def test_rate_of_every_pair_is_its_kl(posterior, prior):
    """The analytic KL equals ``E_q[log q - log p]`` by Monte Carlo where a closed form exists;
    elsewhere the accounting's rate is exactly ``log q(z) - log p(z)`` at the guide's draw."""
    try:
        vae = _vae(posterior, prior).eval()
    except ConfigError as error:  # a VampPrior needs a posterior that scores foreign points
        assert (posterior, prior) == ("planar", "vamp"), error
        return
    batch = tiny_batch(size=4)
    with torch.no_grad():
        model_trace, guide_trace = get_importance_trace("flat", 1, vae.model, vae.guide, (batch,), {})
        site = rate_distortion(model_trace, guide_trace, analytic_kl=True).rates["z"]
    if site.analytic:
        pyro.set_rng_seed(5)
        draws = _rates(vae, batch, analytic=False, samples=4000)
        mean, stderr = draws.mean(0), draws.std(0) / draws.shape[0] ** 0.5
        assert torch.all((mean - site.values).abs() < 4 * stderr + 1e-4), (mean, site.values, stderr)
    else:
        q, p = guide_trace.nodes["z"]["fn"], model_trace.nodes["z"]["fn"]
        z = guide_trace.nodes["z"]["value"]
        assert torch.allclose(site.values, q.log_prob(z) - p.log_prob(z), atol=1e-5)
