"""Objectives against posterior collapse: neutral settings, hand-derived gradients, state."""

from __future__ import annotations

import pyro
import pyro.distributions as dist
import pytest
import torch

from pyrovae.errors import ConfigError, UnsupportedModelError
from pyrovae.infer import (
    ELBO,
    MDR,
    OBJECTIVES,
    BetaC,
    Cyclical,
    EpochwiseAnnealing,
    FreeBits,
    LinearWarmup,
    beta_vae,
    kl_annealing,
)
from pyrovae.infer.schedules import as_schedule
from tests.helpers import tiny_batch, tiny_vae

NEUTRAL = {
    "beta=1": lambda: beta_vae(beta=1.0),
    "annealing at 1": lambda: kl_annealing(schedule="constant(value=1)"),
    "free bits per dim 0": lambda: FreeBits(per_dim=0.0),
    "free bits total 0": lambda: FreeBits(total=0.0),
    "mdr target 0": lambda: MDR(target=0.0),
    "mdr per dim 0": lambda: MDR(per_dim=0.0),
    "beta_c C=0": lambda: BetaC(capacity=0.0),
}


def _loss_and_grads(objective, vae, batch, seed=5):
    vae.zero_grad()
    pyro.set_rng_seed(seed)
    loss = objective.differentiable_loss(vae.model, vae.guide, batch)
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in vae.parameters()]


@pytest.mark.parametrize("make", NEUTRAL.values(), ids=NEUTRAL.keys())
def test_neutral_setting_equals_the_elbo_in_value_and_gradient(make):
    vae, batch = tiny_vae(), tiny_batch()
    loss, grads = _loss_and_grads(make(), vae, batch)
    ref_loss, ref_grads = _loss_and_grads(ELBO(), vae, batch)
    assert torch.allclose(loss, ref_loss, atol=1e-5)
    for g, r in zip(grads, ref_grads):
        assert torch.allclose(g, r, atol=1e-6)


class GaussianLatent(torch.nn.Module):
    """N data points sharing q(z) = N(m, diag(s^2)) against p(z) = N(0, I), no observation.

    KL_d = (m_d^2 + s_d^2 - 1) / 2 - log s_d, so dKL_d/dm_d = m_d and dKL_d/dlog s_d = s_d^2 - 1.
    """

    def __init__(self, loc, log_scale, n: int = 3):
        super().__init__()
        self.loc = torch.nn.Parameter(torch.tensor(loc))
        self.log_scale = torch.nn.Parameter(torch.tensor(log_scale))
        self.n = n

    def kl(self):
        s = self.log_scale.exp()
        return 0.5 * (self.loc**2 + s**2 - 1) - self.log_scale

    def model(self):
        with pyro.plate("data", self.n):
            pyro.sample("z", dist.Normal(torch.zeros(2), 1.0).to_event(1))

    def guide(self):
        with pyro.plate("data", self.n):
            pyro.sample("z", dist.Normal(self.loc, self.log_scale.exp()).to_event(1))


def _grads(objective, latent):
    latent.zero_grad()
    loss = objective.differentiable_loss(latent.model, latent.guide)
    loss.backward()
    return loss.detach(), latent.loc.grad.clone(), latent.log_scale.grad.clone()


def test_free_bits_per_dimension_gradient_is_zero_below_the_target_and_elbo_above():
    latent = GaussianLatent([0.1, 2.0], [0.0, 0.0])  # KL = [0.005, 2.0]
    loss, d_loc, d_log_scale = _grads(FreeBits(per_dim=0.5), latent)
    kl = latent.kl().detach()
    assert torch.allclose(loss, 3 * (torch.tensor(0.5) + kl[1]))
    n, s = 3, latent.log_scale.exp().detach()
    assert torch.allclose(d_loc, torch.tensor([0.0, n * 2.0]))
    assert torch.allclose(d_log_scale, torch.tensor([0.0, n * (s[1] ** 2 - 1)]))


def test_free_bits_total_gradient_switches_at_the_target():
    below = GaussianLatent([0.1, 0.2], [0.0, 0.0])  # total KL 0.025
    _, d_loc, _ = _grads(FreeBits(total=1.0), below)
    assert torch.equal(d_loc, torch.zeros(2))
    above = GaussianLatent([1.0, 2.0], [0.0, 0.0])  # total KL 2.5
    loss, d_loc, _ = _grads(FreeBits(total=1.0), above)
    assert torch.allclose(loss, 3 * above.kl().sum().detach())
    assert torch.allclose(d_loc, 3 * above.loc.detach())


def test_mdr_model_and_multiplier_gradients():
    """J = R + N u (r - R/N): dJ/dm = (1 - u) N m; the multiplier ascends dJ/du = N r - R."""
    latent = GaussianLatent([0.5, 1.0], [0.1, -0.2])
    objective = MDR(target=4.0, initial_multiplier=0.3)
    loss, d_loc, _ = _grads(objective, latent)
    n, rate = 3, 3 * latent.kl().sum().detach()
    assert torch.allclose(loss, rate + 0.3 * (n * 4.0 - rate))
    assert torch.allclose(d_loc, (1 - 0.3) * n * latent.loc.detach())
    # The optimizer descends the stored gradient, so it must be -(N r - R) for an ascent on u.
    assert torch.allclose(objective.multiplier.grad, -(n * 4.0 - rate))
    with torch.no_grad():
        objective.multiplier -= 10.0  # a step that overshoots below zero is projected back
    objective.advance()
    assert float(objective.multiplier.detach()) == 0.0


def test_mdr_per_dimension_multipliers():
    latent = GaussianLatent([0.5, 1.0], [0.0, 0.0])
    objective = MDR(per_dim=0.3, initial_multiplier=0.5)
    loss, d_loc, _ = _grads(objective, latent)
    n, kl = 3, latent.kl().detach()
    assert objective.multiplier.shape == (2,)
    assert torch.allclose(loss, n * kl.sum() + n * (0.5 * (0.3 - kl)).sum())
    assert torch.allclose(d_loc, (1 - 0.5) * n * latent.loc.detach())
    assert torch.allclose(objective.multiplier.grad, -n * (0.3 - kl))


@pytest.mark.parametrize("capacity, sign", [(0.5, 1.0), (5.0, -1.0)])
def test_beta_c_gradient_is_the_sign_of_the_gap(capacity, sign):
    latent = GaussianLatent([1.0, 1.5], [0.0, 0.0])  # KL = 1.625
    loss, d_loc, _ = _grads(BetaC(capacity=capacity, beta=2.0), latent)
    n, kl = 3, latent.kl().sum().detach()
    assert torch.allclose(loss, 2.0 * n * (kl - capacity).abs())
    assert torch.allclose(d_loc, sign * 2.0 * n * latent.loc.detach())


def test_beta_c_capacity_ramp():
    objective = BetaC(capacity=10.0, capacity_start=2.0, ramp_steps=4)
    values = []
    for _ in range(6):
        values.append(objective.state_summary()["capacity"])
        objective.advance()
    assert values == [2.0, 4.0, 6.0, 8.0, 10.0, 10.0]


def test_schedule_values_at_chosen_steps():
    assert [LinearWarmup(10).value_at(t) for t in (0, 5, 10, 50)] == [0.0, 0.5, 1.0, 1.0]
    cyclical = Cyclical(total_steps=100, cycles=4, ratio_increase=0.5)
    assert [cyclical.value_at(t) for t in (0, 5, 13, 24, 25, 30, 100)] == pytest.approx([0, 0.4, 1, 1, 0, 0.4, 1])
    delayed = Cyclical(total_steps=100, cycles=4, ratio_increase=0.5, ratio_zero=0.25)
    assert [delayed.value_at(t) for t in (5, 10, 20)] == pytest.approx([0.0, 0.3, 1.0])
    epochwise = EpochwiseAnnealing(steps_per_epoch=8)
    assert [epochwise.value_at(t) for t in (0, 3, 4, 5, 6, 7, 8)] == [0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 0.0]


def test_schedules_from_specs_and_the_trainer_lengths():
    cyclical = as_schedule("cyclical(cycles=2, ratio_increase=0.25)")
    cyclical.start(steps_per_epoch=10, total_steps=40)
    assert cyclical.total_steps == 40 and cyclical.value_at(5) == 1.0
    with pytest.raises(ConfigError, match="unknown schedule"):
        as_schedule("sigmoid")
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        as_schedule("linear(100)")


def test_schedule_step_and_multiplier_resume_from_state_dict():
    objective = FreeBits(per_dim=0.25, kl_weight="linear(steps=10)")
    for _ in range(3):
        objective.advance()
    restored = FreeBits(per_dim=0.25, kl_weight="linear(steps=10)")
    restored.load_state_dict(objective.state_dict())
    assert restored.kl_weight.value() == objective.kl_weight.value() == pytest.approx(0.3)
    mdr = MDR(target=2.0, initial_multiplier=0.7)
    again = MDR(target=2.0)
    again.load_state_dict(mdr.state_dict())
    assert float(again.multiplier.detach()) == pytest.approx(0.7)


def test_per_dimension_objectives_refuse_a_non_factorised_posterior():
    def model():
        pyro.sample("w", dist.MultivariateNormal(torch.zeros(2), torch.eye(2)))

    loc = torch.nn.Parameter(torch.ones(2))

    def guide():
        pyro.sample("w", dist.MultivariateNormal(loc, 0.5 * torch.eye(2)))

    for objective in (FreeBits(per_dim=0.5), MDR(per_dim=0.5)):
        with pytest.raises(UnsupportedModelError, match="'w'.*total-rate variant"):
            objective.differentiable_loss(model, guide)


def test_every_objective_is_selectable_by_name_with_its_options():
    assert set(OBJECTIVES.names()) >= {"elbo", "beta", "annealing", "free_bits", "mdr", "beta_c"}
    built = OBJECTIVES.build("free_bits", per_dim=0.5, kl_weight="cyclical(cycles=4)")
    assert isinstance(built, FreeBits) and isinstance(built.kl_weight, Cyclical)
    with pytest.raises(ConfigError, match="exactly one target"):
        OBJECTIVES.build("free_bits")
    with pytest.raises(ConfigError, match="no option"):
        OBJECTIVES.build("mdr", rate=3)


def test_info_vae_with_zero_mmd_weight_is_the_elbo():
    from pyrovae.infer import InfoVAE

    vae, batch = tiny_vae(), tiny_batch()
    loss, grads = _loss_and_grads(InfoVAE(alpha=0.0, lambda_=1.0), vae, batch)
    ref_loss, ref_grads = _loss_and_grads(ELBO(), vae, batch)
    assert torch.allclose(loss, ref_loss, atol=1e-5)
    for g, r in zip(grads, ref_grads):
        assert torch.allclose(g, r, atol=1e-6)


def test_info_vae_adds_the_weighted_mmd_of_posterior_and_prior_samples():
    from pyrovae.infer import InfoVAE

    vae, batch = tiny_vae(), tiny_batch(size=6)
    objective = InfoVAE(alpha=1.0, lambda_=10.0)
    loss, terms = objective.loss_and_terms(vae.model, vae.guide, batch)
    mmd = terms.extras["mmd2"]
    assert torch.allclose(loss, terms.distortion * 6 + 6 * 10.0 * mmd, atol=1e-4)


def test_soft_free_bits_weight_moves_toward_the_target():
    from pyrovae.infer import SoftFreeBits

    vae, batch = tiny_vae(), tiny_batch()
    objective = SoftFreeBits(target=5.0, step=0.5)
    _, terms = objective.loss_and_terms(vae.model, vae.guide, batch)  # tiny untrained rate << 5 nats
    objective.advance(terms)
    assert float(objective.weight) == pytest.approx(1 / 1.5)
    objective.advance()  # a step without terms leaves the weight alone
    assert float(objective.weight) == pytest.approx(1 / 1.5)
    high = SoftFreeBits(target=1e-6, step=0.5)
    high.weight.fill_(0.5)
    _, terms = high.loss_and_terms(vae.model, vae.guide, batch)
    high.advance(terms)
    assert float(high.weight) == pytest.approx(0.75)


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_every_listed_option_is_accepted(name):
    """`pyrovae fit --help` lists OBJECTIVES.options(name): each must be accepted as listed."""
    required = {"free_bits": {"per_dim": 0.5}, "mdr": {"target": 1.0}}.get(name, {})
    for option, parameter in OBJECTIVES.options(name).items():
        value = required.get(option, parameter.default)
        OBJECTIVES.build(name, **{**required, option: value})
