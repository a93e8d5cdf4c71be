"""Known-answer tests of the importance-weighted log-likelihood (Burda et al., arXiv:1509.00519)."""

from __future__ import annotations

import math

import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro.distributions import constraints

from pyrovae.distributions.token_sequence import TokenSequence
from pyrovae.errors import ConfigError, UnsupportedModelError
from pyrovae.infer.importance import importance_log_likelihood
from pyrovae.nn import RecurrentDecoder


class LinearGaussian:
    """``z ~ N(0, I_D)``, ``x | z ~ N(W z + b, sigma^2 I_P)``: posterior and evidence known."""

    def __init__(self, latent_dim: int = 2, data_dim: int = 3, sigma: float = 0.5) -> None:
        generator = torch.Generator().manual_seed(1)
        self.W = torch.randn(data_dim, latent_dim, generator=generator)
        self.b = torch.randn(data_dim, generator=generator)
        self.sigma = sigma
        self.D = latent_dim

    def model(self, x: torch.Tensor) -> None:
        with pyro.plate("data", x.shape[0]):
            z = pyro.sample("z", dist.Normal(torch.zeros(self.D), 1.0).to_event(1))
            pyro.sample("x", dist.Normal(z @ self.W.T + self.b, self.sigma).to_event(1), obs=x)

    def exact_log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        cov = self.W @ self.W.T + self.sigma**2 * torch.eye(len(self.b))
        return dist.MultivariateNormal(self.b, cov).log_prob(x)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        precision = torch.eye(self.D) + self.W.T @ self.W / self.sigma**2
        cov = torch.linalg.inv(precision)
        return (x - self.b) @ self.W / self.sigma**2 @ cov, cov

    def exact_guide(self, x: torch.Tensor) -> None:
        mean, cov = self.posterior(x)
        with pyro.plate("data", x.shape[0]):
            pyro.sample("z", dist.MultivariateNormal(mean, cov))

    def poor_q(self, x: torch.Tensor) -> dist.Distribution:
        mean, cov = self.posterior(x)
        return dist.Normal(mean + 0.7, 0.6 * cov.diagonal().sqrt()).to_event(1)

    def poor_guide(self, x: torch.Tensor) -> None:
        with pyro.plate("data", x.shape[0]):
            pyro.sample("z", self.poor_q(x))


@pytest.fixture
def linear_gaussian(float64):
    return LinearGaussian()


@pytest.fixture
def data(linear_gaussian):
    torch.manual_seed(3)
    z = torch.randn(30, linear_gaussian.D)
    return z @ linear_gaussian.W.T + linear_gaussian.b + linear_gaussian.sigma * torch.randn(30, 3)


@pytest.mark.parametrize("num_samples", [1, 7, 500])
def test_exact_with_true_posterior(linear_gaussian, data, num_samples):
    lg = linear_gaussian
    estimate = importance_log_likelihood(lg.model, lg.exact_guide, data, num_samples=num_samples)
    assert estimate.shape == (30,)
    assert estimate.dtype == torch.float64
    torch.testing.assert_close(estimate, lg.exact_log_likelihood(data), atol=1e-5, rtol=0)


def test_poor_guide_is_below_and_increases_with_samples(linear_gaussian, data):
    lg = linear_gaussian
    exact = lg.exact_log_likelihood(data).mean()
    means = [
        importance_log_likelihood(lg.model, lg.poor_guide, data, num_samples=k).mean()
        for k in (1, 10, 100, 1000)
    ]
    gaps = [float(exact - m) for m in means]
    assert all(gap > 0 for gap in gaps), gaps
    assert gaps == sorted(gaps, reverse=True), gaps
    assert gaps[-1] < 0.2 * gaps[0], gaps


def test_prior_proposal_for_latents_the_guide_does_not_sample(linear_gaussian, data):
    """With an empty guide the model draws z from its prior: weights are p(x | z) only."""
    lg = linear_gaussian
    estimate = importance_log_likelihood(lg.model, lambda x: None, data[:5], num_samples=50000)
    torch.testing.assert_close(estimate, lg.exact_log_likelihood(data[:5]), atol=0.05, rtol=0)


class FixedDraws(dist.TorchDistribution):
    """``base`` whose draws are read in order from a fixed stream, whatever the sample shape."""

    arg_constraints = {}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, base: dist.Distribution, stream: dict) -> None:
        self.base, self.stream = base, stream
        super().__init__(base.batch_shape, base.event_shape, validate_args=False)

    def rsample(self, sample_shape=torch.Size()):
        shape = torch.Size(sample_shape) + self.batch_shape + self.event_shape
        count = torch.Size(sample_shape).numel()
        used = self.stream["used"]
        self.stream["used"] = used + count
        return self.stream["draws"][used : used + count].reshape(shape)

    sample = rsample

    def log_prob(self, value):
        return self.base.log_prob(value)


@pytest.mark.parametrize("chunk", [None, 1, 4, 9])
def test_chunks_combine_to_the_one_chunk_logsumexp(linear_gaussian, data, chunk):
    lg = linear_gaussian
    num_samples = 10
    q = lg.poor_q(data)
    draws = q.sample((num_samples,))  # [K, N, D]
    stream = {"draws": draws, "used": 0}

    def guide(x):
        with pyro.plate("data", x.shape[0]):
            pyro.sample("z", FixedDraws(lg.poor_q(x), stream))

    estimate = importance_log_likelihood(
        lg.model, guide, data, num_samples=num_samples, samples_per_chunk=chunk
    )
    assert stream["used"] == num_samples
    log_joint = dist.Normal(0.0, 1.0).log_prob(draws).sum(-1) + dist.Normal(
        draws @ lg.W.T + lg.b, lg.sigma
    ).log_prob(data).sum(-1)
    expected = torch.logsumexp(log_joint - q.log_prob(draws), 0) - math.log(num_samples)
    torch.testing.assert_close(estimate, expected, atol=1e-10, rtol=0)


def test_language_model_without_latent_is_exact():
    vocab, pad = 12, 0
    decoder = RecurrentDecoder(vocab, latent_dim=0, embed_dim=8, hidden_dim=8, pad_id=pad)
    tokens = torch.tensor([[2, 5, 6, 7, 3], [2, 8, 3, 0, 0], [2, 9, 10, 3, 0]])
    lengths = torch.tensor([4, 2, 3])

    def model(tokens, lengths):
        with pyro.plate("sentences", tokens.shape[0]):
            logits = decoder(tokens[:, :-1])
            pyro.sample("tokens", TokenSequence(logits, lengths, pad), obs=tokens[:, 1:])

    estimate = importance_log_likelihood(model, lambda *a: None, tokens, lengths, num_samples=500)
    with torch.no_grad():
        expected = TokenSequence(decoder(tokens[:, :-1]), lengths, pad).log_prob(tokens[:, 1:])
    assert torch.equal(estimate, expected)


def test_global_latent_is_rejected(float64):
    def model(x):
        mu = pyro.sample("mu", dist.Normal(0.0, 1.0))
        with pyro.plate("data", x.shape[0]):
            pyro.sample("x", dist.Normal(mu, 1.0), obs=x)

    def guide(x):
        pyro.sample("mu", dist.Normal(0.0, 1.0))

    with pytest.raises(UnsupportedModelError, match="outside the data plate"):
        importance_log_likelihood(model, guide, torch.zeros(3), num_samples=4)


def test_num_samples_must_be_positive(linear_gaussian, data):
    with pytest.raises(ConfigError):
        lg = linear_gaussian
        importance_log_likelihood(lg.model, lg.exact_guide, data, num_samples=0)
