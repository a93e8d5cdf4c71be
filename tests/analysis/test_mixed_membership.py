"""The mixed-membership model: its density against scipy, known weights recovered by SVI, tying."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import logsumexp

from pyrovae.analysis import (
    CredibleInterval,
    FitOptions,
    MeanFieldGuide,
    MixedMembership,
    MixedMembershipPosterior,
    fit,
)
from pyrovae.errors import ConfigError, DataError


def _random_params(model: MixedMembership, draws: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    K, P, E, W = model.num_components, model.num_blocks, model.block_dim, model.num_mixtures
    params = {
        "weights": torch.rand(draws, W, P, K, generator=generator).softmax(-1),
        "loc": torch.randn(draws, K, P, E, generator=generator),
        "scale": torch.rand(draws, K, P, E, generator=generator) + 0.5,
    }
    if model.family.shape_names:
        params["df"] = torch.rand(draws, K, P, generator=generator) * 10 + 1
    return {name: value.double() for name, value in params.items()}


def _scipy_log_likelihood(model: MixedMembership, params, z: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``[S, N]`` log q_g(z) by scipy: per block a log-sum-exp over components of summed log pdfs."""
    S, N = params["weights"].shape[0], z.shape[0]
    out = np.zeros((S, N))
    for s in range(S):
        for n in range(N):
            mixture = model.mixture_of_group[group[n]].item()
            for p in range(model.num_blocks):
                block = z[n].reshape(model.num_blocks, model.block_dim)[p]
                terms = []
                for k in range(model.num_components):
                    loc, scale = params["loc"][s, k, p].numpy(), params["scale"][s, k, p].numpy()
                    if "df" in params:
                        log_pdf = stats.t.logpdf(block, params["df"][s, k, p].item(), loc, scale).sum()
                    else:
                        log_pdf = stats.norm.logpdf(block, loc, scale).sum()
                    terms.append(np.log(params["weights"][s, mixture, p, k].item()) + log_pdf)
                out[s, n] += logsumexp(terms)
    return out


@pytest.mark.parametrize("family", ["studentt", "normal"])
@pytest.mark.parametrize("univariate", [False, True])
def test_log_likelihood_matches_scipy(family, univariate):
    generator = torch.Generator().manual_seed(0)
    model = MixedMembership(3, 4, 2, family=family, univariate=univariate).tie(2, 0)
    params = _random_params(model, 2, generator)
    z = torch.randn(5, 4, generator=generator).double()
    group = torch.tensor([0, 1, 2, 2, 1])
    expected = _scipy_log_likelihood(model, params, z.numpy(), group.numpy())
    posterior = MixedMembershipPosterior(model, params)
    np.testing.assert_allclose(posterior.log_likelihood(z, group).numpy(), expected, rtol=1e-10)
    assert posterior.block_log_likelihood(z, group).shape == (2, 5, model.num_blocks)


def test_tie_shares_one_weight_vector_and_renumbers():
    model = MixedMembership(4, 2, 3)
    tied = model.tie(1, 3)
    assert tied.mixture_of_group.tolist() == [0, 1, 2, 1] and tied.num_mixtures == 3
    assert model.mixture_of_group.tolist() == [0, 1, 2, 3]  # the original is unchanged
    assert tied.tie(0, 2).mixture_of_group.tolist() == [0, 1, 0, 1]
    with pytest.raises(ConfigError, match="group index"):
        model.tie(4, 0)


def test_bad_input_is_rejected_with_clear_errors():
    with pytest.raises(ConfigError, match="unknown component family 'gamma'.*studentt, normal"):
        MixedMembership(2, 3, family="gamma")
    with pytest.raises(ConfigError, match="num_components"):
        MixedMembership(2, 3, num_components=0)
    model = MixedMembership(2, 3)
    with pytest.raises(DataError, match="3-dimensional"):
        model.check_data(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
    with pytest.raises(DataError, match="NaN"):
        model.check_data(torch.full((4, 3), float("nan")), torch.zeros(4, dtype=torch.long))
    with pytest.raises(DataError, match="group indices"):
        model.check_data(torch.zeros(4, 3), torch.tensor([0, 1, 2, 0]))
    with pytest.raises(DataError, match="non-empty"):
        model.check_data(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))


def test_guide_draws_live_on_the_supports():
    model = MixedMembership(2, 3, 4, univariate=True)
    z, group = torch.randn(50, 3), torch.arange(2).repeat(25)
    draws = MeanFieldGuide(model, z, group).draw(7)
    assert draws["weights"].shape == (7, 2, 3, 4)
    torch.testing.assert_close(draws["weights"].sum(-1), torch.ones(7, 2, 3))
    assert draws["loc"].shape == (7, 4, 3, 1) and (draws["scale"] > 0).all() and (draws["df"] > 0).all()


def test_known_mixture_weights_are_recovered_within_their_intervals():
    """Two groups share two well-separated Gaussian components with weights (0.3, 0.7) and (0.8, 0.2)."""
    generator = torch.Generator().manual_seed(0)
    locations = torch.tensor([[-2.5, 0.0], [2.5, 1.0]])
    true_weights = torch.tensor([[0.3, 0.7], [0.8, 0.2]])
    size = 600
    z = torch.cat([locations[torch.multinomial(w, size, True, generator=generator)] for w in true_weights])
    z = z + torch.randn(z.shape, generator=generator)
    group = torch.arange(2).repeat_interleave(size)
    model = MixedMembership(2, 2, 2, family="normal")
    result = fit(model, z, group, FitOptions(num_steps=250, subsample_size=None, seed=0))
    assert result.convergence.settled
    posterior = MixedMembershipPosterior.from_guide(model, result.guide, 1000)
    posterior = posterior.relabelled(posterior.draws["loc"].mean(0)[:, 0, 0].argsort())  # component 0 on the left
    weights = posterior.group_weights()[:, :, 0]  # [S, G, K]
    for g in range(2):
        for k in range(2):
            interval = CredibleInterval.from_draws(weights[:, g, k])
            assert interval.contains(true_weights[g, k].item()), (g, k, str(interval))
            assert interval.upper - interval.lower < 0.1
    torch.testing.assert_close(posterior.draws["loc"].mean(0)[:, 0], locations, atol=0.15, rtol=0)
