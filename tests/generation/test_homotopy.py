"""Homotopies: exact endpoints, linear steps, and decoded endpoints equal to reconstructions."""

from __future__ import annotations

import pytest
import torch

from pyrovae.errors import ConfigError
from pyrovae.generation import SentenceGenerator, homotopy
from pyrovae.text import Vocabulary
from tests.helpers import VOCAB, tiny_vae


def test_endpoints_are_exact_and_steps_are_evenly_spaced():
    torch.manual_seed(0)
    start, end = torch.randn(5), torch.randn(5)
    path = homotopy(start, end, 5)
    assert path.shape == (5, 5)
    assert torch.equal(path[0], start) and torch.equal(path[-1], end)
    assert torch.allclose(path[2], (start + end) / 2, atol=1e-6)
    assert torch.allclose(path[1:] - path[:-1], ((end - start) / 4).expand(4, -1), atol=1e-6)


def test_too_few_steps_or_mismatched_codes_are_refused():
    with pytest.raises(ConfigError, match="at least 2 steps"):
        homotopy(torch.zeros(3), torch.ones(3), 1)
    with pytest.raises(ValueError, match="two codes"):
        homotopy(torch.zeros(3), torch.ones(4), 3)


def test_decoded_endpoints_are_the_greedy_reconstructions():
    vocab = Vocabulary(list(Vocabulary.SPECIALS) + [f"w{i}" for i in range(VOCAB - 4)])
    generator = SentenceGenerator(tiny_vae(latent_dim=3, seed=1).eval(), vocab, max_length=10)
    sentences = ["w1 w2 w3 w4", "w9 w8 w7"]
    codes = generator.posterior_codes(sentences)
    decoded = generator.decode(homotopy(codes[0], codes[1], 6))
    assert [decoded[0], decoded[-1]] == generator.reconstruct(sentences)
    assert len(decoded) == 6
