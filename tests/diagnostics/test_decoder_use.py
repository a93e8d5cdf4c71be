"""decoder_use: zero for a decoder that ignores z, known values for a code that names the first word."""

from __future__ import annotations

import numpy as np
import pyro
import pytest
import torch
from scipy.spatial.distance import jensenshannon

from pyrovae.diagnostics import decoder_use, jensen_shannon
from pyrovae.errors import ConfigError
from pyrovae.latent import DiagonalNormal, StandardNormal
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder
from pyrovae.text import Vocabulary
from pyrovae.vae import TextVAE
from tests.diagnostics.toy_models import FirstWordCode
from tests.helpers import VOCAB, tiny_batch


def test_jensen_shannon_matches_scipy():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 7) * 3
    log_p, log_q = torch.log_softmax(logits[0].double(), -1), torch.log_softmax(logits[1].double(), -1)
    expected = [jensenshannon(p, q) ** 2 for p, q in zip(log_p.exp().numpy(), log_q.exp().numpy())]
    np.testing.assert_allclose(jensen_shannon(log_p, log_q).numpy(), expected, rtol=1e-10, atol=1e-14)
    # zero probabilities (an impossible token) contribute nothing
    one_hot = torch.log(torch.tensor([1.0, 0.0, 0.0]))
    uniform = torch.full((3,), -np.log(3.0))
    assert float(jensen_shannon(one_hot, uniform)) == pytest.approx(jensenshannon([1, 0, 0], [1 / 3] * 3) ** 2, rel=1e-6)


def test_a_decoder_that_ignores_z_gives_zero():
    torch.manual_seed(0)
    encoder = RecurrentEncoder(VOCAB, embed_dim=8, hidden_dim=12)
    language_model = RecurrentDecoder(VOCAB, 0, embed_dim=8, hidden_dim=12)
    vae = TextVAE(encoder, DiagonalNormal(12, 3), StandardNormal(3), language_model)
    result = decoder_use(vae, [tiny_batch(seed=s, size=8) for s in range(3)], num_bins=4, num_samples=3)
    assert result.accuracy_drop.value == 0.0 and result.js_divergence.value == pytest.approx(0.0, abs=1e-8)
    assert result.js_between.value == pytest.approx(0.0, abs=1e-8)
    assert np.nanmax(np.abs(result.js_curve)) < 1e-7 and np.nanmax(np.abs(result.accuracy_drop_curve)) == 0.0
    assert result.tokens_per_bin.sum() == sum(int(tiny_batch(seed=s, size=8).lengths.sum()) for s in range(3))


def _one_word_batches(vocab: Vocabulary, count: int, words: list[str]) -> list:
    generator = torch.Generator().manual_seed(0)
    picks = torch.randint(len(words), (count,), generator=generator).tolist()
    sentences = [words[i] for i in picks]
    return [vocab.batch(sentences[i : i + 100]) for i in range(0, count, 100)]


def test_a_code_naming_the_first_word_gives_the_known_accuracy_drop_and_js():
    pyro.set_rng_seed(1)
    words = ["a", "b", "c", "d"]
    vocab = Vocabulary(list(Vocabulary.SPECIALS) + words)
    v = len(vocab)  # 8 tokens; each sentence is one word and <eos>
    model = FirstWordCode(v)
    result = decoder_use(model, _one_word_batches(vocab, 400, words), num_bins=2, num_samples=4)
    # Posterior codes: the mode is the word at both positions (right at the word, wrong at <eos>);
    # prior codes: the mode is uniform over the V tokens, right with probability 1/V.
    expected_curve = [1 - 1 / v, -1 / v]
    drop = result.accuracy_drop
    assert abs(drop.value - (1 - 2 / v) / 2) < 4 * drop.stderr
    np.testing.assert_allclose(result.positions, [0.25, 0.75])
    np.testing.assert_allclose(result.accuracy_drop_curve, expected_curve, atol=0.04)
    assert list(result.tokens_per_bin) == [400, 400]
    # JS: two posterior codes give nearly the same distribution; against a prior code it is the
    # expectation over z ~ N(0, I) of JS(softmax(10 e_w), softmax(z)), computed here with scipy.
    assert result.js_within.value < 1e-3
    generator = np.random.default_rng(0)
    posterior_output = np.exp(10 * np.eye(v)[4]) / np.exp(10 * np.eye(v)[4]).sum()
    prior_logits = generator.standard_normal((20000, v))
    prior_outputs = np.exp(prior_logits) / np.exp(prior_logits).sum(1, keepdims=True)
    reference = np.mean([jensenshannon(posterior_output, q) ** 2 for q in prior_outputs])
    js = result.js_divergence
    assert abs(js.value - reference) < 4 * js.stderr + 0.005
    assert result.js_curve == pytest.approx([reference, reference], abs=0.03)


def test_needs_a_pair_of_posterior_codes():
    with pytest.raises(ConfigError, match="at least 2"):
        decoder_use(FirstWordCode(8), [], num_samples=1)
