"""Decoding strategies: known answers on constructed logits, and identities between strategies."""

from __future__ import annotations

import math

import pyro
import pytest
import torch
from scipy.stats import chisquare

from pyrovae.errors import ConfigError
from pyrovae.generation import (
    DECODING_STRATEGIES,
    Nucleus,
    TopK,
    ancestral,
    describe,
    greedy,
    strategy,
)
from tests.helpers import tiny_vae

#: Four tokens with known probabilities, in a scrambled order (the most probable is token 2).
PROBS = torch.tensor([0.2, 0.1, 0.4, 0.3])


def _draws(choose, probs: torch.Tensor, num: int = 4000) -> torch.Tensor:
    logits = probs.log().expand(num, -1)
    return choose(logits)


def _frequencies_match(tokens: torch.Tensor, expected: torch.Tensor) -> None:
    """Pearson's chi-square test of the draws against ``expected`` probabilities (scipy)."""
    support = expected > 0
    assert set(tokens.unique().tolist()) == set(support.nonzero().flatten().tolist())
    if int(support.sum()) > 1:
        observed = torch.bincount(tokens, minlength=expected.numel())[support].double()
        probs = expected[support].double() / expected[support].double().sum()
        result = chisquare(observed.numpy(), (probs * tokens.numel()).numpy())
        assert result.pvalue > 1e-3, result


def test_greedy_is_the_argmax():
    assert greedy(PROBS.log().unsqueeze(0)).tolist() == [2]


def test_ancestral_draws_from_the_softmax():
    pyro.set_rng_seed(0)
    _frequencies_match(_draws(ancestral, PROBS), PROBS)


@pytest.mark.parametrize("k, kept", [(1, [2]), (2, [2, 3]), (3, [2, 3, 0])])
def test_top_k_samples_the_renormalised_k_most_probable(k, kept):
    expected = torch.zeros(4)
    expected[kept] = PROBS[kept] / PROBS[kept].sum()
    pyro.set_rng_seed(1)
    _frequencies_match(_draws(TopK(k), PROBS), expected)
    assert TopK(k).support(PROBS.log().unsqueeze(0)).nonzero()[:, 1].sort().values.tolist() == sorted(kept)


@pytest.mark.parametrize("p, kept", [(0.3, [2]), (0.65, [2, 3]), (0.75, [2, 3, 0]), (0.95, [2, 3, 0, 1])])
def test_nucleus_samples_the_smallest_set_holding_mass_p(p, kept):
    """Sorted masses 0.4, 0.3, 0.2, 0.1: cumulative 0.4, 0.7, 0.9, 1.0."""
    expected = torch.zeros(4)
    expected[kept] = PROBS[kept] / PROBS[kept].sum()
    pyro.set_rng_seed(2)
    _frequencies_match(_draws(Nucleus(p), PROBS), expected)


def test_top_k_never_leaves_the_k_most_probable_on_random_logits():
    torch.manual_seed(3)
    logits = torch.randn(64, 50) * 3
    allowed = logits.topk(5, dim=-1).indices
    for _ in range(20):
        tokens = TopK(5)(logits)
        assert (allowed == tokens.unsqueeze(-1)).any(-1).all()


def test_top_1_and_tiny_nucleus_equal_greedy():
    torch.manual_seed(4)
    logits = torch.randn(200, 30)
    assert torch.equal(TopK(1)(logits), greedy(logits))
    assert torch.equal(Nucleus(1e-9)(logits), greedy(logits))


def test_full_top_k_and_full_nucleus_equal_ancestral_under_the_same_seed():
    torch.manual_seed(5)
    logits = torch.randn(200, 30)
    draws = []
    for choose in (ancestral, TopK(30), TopK(1000), Nucleus(1.0)):
        pyro.set_rng_seed(6)
        draws.append(choose(logits))
    assert all(torch.equal(draws[0], other) for other in draws[1:])


def test_strategies_plug_into_generation():
    """Through TextVAE.decode: top-1 and p -> 0 give the greedy sentences, full top-k and p = 1
    the ancestral ones (same seed)."""
    vae = tiny_vae(latent_dim=3).eval()
    z = torch.randn(6, 3)
    decode = lambda choose: vae.decode(z, 2, 3, max_length=8, choose=choose)  # noqa: E731
    greedy_sentences = decode(greedy)
    assert decode(TopK(1)) == greedy_sentences and decode(Nucleus(1e-6)) == greedy_sentences
    sampled = []
    for choose in (ancestral, TopK(20), Nucleus(1.0)):
        pyro.set_rng_seed(7)
        sampled.append(decode(choose))
    assert sampled[0] == sampled[1] == sampled[2]
    assert sampled[0] != greedy_sentences  # sampling differs from greedy on an untrained model


def test_strategy_by_name_and_its_description():
    assert DECODING_STRATEGIES == ("greedy", "ancestral", "top-k", "nucleus")
    assert strategy("greedy") is greedy and strategy("ancestral") is ancestral
    assert strategy("top-k", k=15).k == 15 and strategy("nucleus", p=0.9).p == 0.9
    names = [describe(strategy(name, k=15, p=0.9)) for name in DECODING_STRATEGIES]
    assert names == ["greedy", "ancestral", "top-15", "nucleus p=0.9"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: TopK(0), "k >= 1"),
        (lambda: TopK(2.5), "k >= 1"),
        (lambda: Nucleus(0.0), "p in (0, 1]"),
        (lambda: Nucleus(1.5), "p in (0, 1]"),
        (lambda: Nucleus(math.nan), "p in (0, 1]"),
        (lambda: strategy("beam"), "unknown decoding strategy 'beam'"),
        (lambda: strategy("top-k"), "k >= 1"),
    ],
)
def test_bad_parameters_are_refused(make, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        make()
