"""The aggregate posterior q(z) = 1/N sum_n q(z | x_n) against a hand-computed mixture."""

from __future__ import annotations

import math

import pyro
import pyro.distributions as dist
import pytest
import torch
from torch import nn

from pyrovae.errors import UnsupportedModelError
from pyrovae.latent import DiagonalNormal
from pyrovae.metrics import AggregatePosterior


def q_of(x: torch.Tensor) -> dist.Distribution:
    return dist.Normal(x, 0.2 + 0.1 * x.abs()).to_event(1)


def guide(x: torch.Tensor) -> None:
    with pyro.plate("points", x.shape[0]):
        pyro.sample("z", q_of(x))


def test_log_density_is_the_mixture_over_all_points():
    x = torch.randn(7, 2)
    posterior = AggregatePosterior.collect(guide, x.split(3))  # batches of 3, 3, 1
    assert posterior.num_points == 7 and posterior.latent_dim == 2
    z = torch.randn(5, 2)
    components = torch.stack(
        [q_of(x[n]).log_prob(z) for n in range(7)]
    )
    expected = torch.logsumexp(components, 0) - math.log(7)
    torch.testing.assert_close(posterior.log_density(z), expected)


def test_sample_and_conditional_log_prob_follow_each_point():
    x = torch.tensor([[-20.0, 0.0], [0.0, 0.0], [20.0, 0.0]])
    posterior = AggregatePosterior.collect(guide, x.split(2))
    z = posterior.sample(per_point=4)
    assert z.shape == (4, 3, 2)
    assert (z[:, 0, 0] < -10).all() and (z[:, 2, 0] > 10).all()
    expected = q_of(x).log_prob(z)
    torch.testing.assert_close(posterior.conditional_log_prob(z), expected)


class NonScoringPosterior(DiagonalNormal):
    scores_any_point = False


class Encoder(nn.Module):
    def __init__(self, posterior):
        super().__init__()
        self.posterior = posterior

    def guide(self, h):
        with pyro.plate("points", h.shape[0]):
            pyro.sample("z", self.posterior(h))


def test_posterior_that_cannot_score_foreign_points_is_rejected():
    h = torch.randn(4, 3)
    assert AggregatePosterior.collect(Encoder(DiagonalNormal(3, 2)).guide, [h]).num_points == 4
    with pytest.raises(UnsupportedModelError, match="IAF"):
        AggregatePosterior.collect(Encoder(NonScoringPosterior(3, 2)).guide, [h])


def test_guide_with_two_latent_sites_needs_a_site_name():
    def two_sites(x):
        with pyro.plate("points", x.shape[0]):
            pyro.sample("a", dist.Normal(x, 1.0).to_event(1))
            pyro.sample("b", dist.Normal(-x, 1.0).to_event(1))

    x = torch.randn(3, 2)
    with pytest.raises(UnsupportedModelError, match="site="):
        AggregatePosterior.collect(two_sites, [x])
    posterior = AggregatePosterior.collect(two_sites, [x], site="b")
    torch.testing.assert_close(posterior.distributions[0].mean, -x)
