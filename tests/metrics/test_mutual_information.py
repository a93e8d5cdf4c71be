"""Known-answer tests of I_q(x; z) with a linear-Gaussian encoder."""

from __future__ import annotations

import math

import pyro
import pyro.distributions as dist
import torch

from pyrovae.metrics import AggregatePosterior, mutual_information

N = 2000


def gaussian_encoder(a: torch.Tensor, s: torch.Tensor):
    """``q(z_d | x) = N(a_d x_d, s_d^2)`` independently per dimension, as a Pyro guide."""

    def guide(x: torch.Tensor) -> None:
        with pyro.plate("points", x.shape[0]):
            pyro.sample("code", dist.Normal(a * x, s).to_event(1))

    return guide


def collect(a, s, batch_size: int = 250) -> AggregatePosterior:
    x = torch.randn(N, len(a))  # x ~ N(0, I_D)
    return AggregatePosterior.collect(gaussian_encoder(a, s), x.split(batch_size))


def test_linear_gaussian_encoder_matches_closed_form():
    a, s = torch.tensor([1.0, 2.0, 0.5]), torch.tensor([1.0, 1.0, 0.25])
    # z_d = a_d x_d + s_d eps_d with x_d ~ N(0, 1): I = sum_d 0.5 log(1 + a_d^2 / s_d^2).
    exact = float(0.5 * torch.log1p(a**2 / s**2).sum())
    estimate = mutual_information(collect(a, s))
    assert estimate.unit == "nats"
    assert 0 < estimate.stderr < 0.05
    # 4 standard errors plus 0.02 nats for the (downward) InfoNCE bias at N = 2000.
    assert abs(estimate.value - exact) < 4 * estimate.stderr + 0.02, (estimate, exact)


def test_more_samples_per_point_reduce_the_standard_error():
    a, s = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0])
    posterior = collect(a, s)
    one, four = mutual_information(posterior), mutual_information(posterior, samples_per_point=4)
    assert four.stderr < one.stderr
    assert abs(four.value - float(0.5 * torch.log1p(a**2 / s**2).sum())) < 4 * four.stderr + 0.02


def test_encoder_ignoring_x_has_zero_information():
    estimate = mutual_information(collect(torch.zeros(3), torch.ones(3)))
    assert abs(estimate.value) < 1e-5


def test_estimate_never_exceeds_log_n():
    """A near-deterministic encoder saturates the mixture estimator at log N."""
    posterior = collect(torch.ones(2), torch.full((2,), 1e-3), batch_size=N)
    estimate = mutual_information(posterior)
    assert estimate.value <= math.log(N) + 1e-4
    assert estimate.value > math.log(N) - 0.01
