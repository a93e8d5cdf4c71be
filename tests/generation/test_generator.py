"""SentenceGenerator: codes from prior and posterior, reconstructions, and a model without latent."""

from __future__ import annotations

import pyro
import pytest
import torch

from pyrovae import LanguageModel
from pyrovae.data import FixedBatches, SentenceDataset
from pyrovae.errors import DataError, UnsupportedModelError
from pyrovae.generation import SentenceGenerator, TopK
from pyrovae.nn import RecurrentDecoder
from pyrovae.text import Vocabulary
from tests.helpers import VOCAB, tiny_vae

WORDS = [f"w{i}" for i in range(VOCAB - 4)]


@pytest.fixture
def vocab() -> Vocabulary:
    return Vocabulary(list(Vocabulary.SPECIALS) + WORDS)


def test_posterior_codes_are_the_posterior_means_or_its_draws(vocab):
    vae = tiny_vae(latent_dim=3).eval()
    generator = SentenceGenerator(vae, vocab)
    sentences = ["w1 w2", "w3 w4 w5 w6"]
    q = vae.posterior_distribution(vocab.batch(sentences))
    assert torch.equal(generator.posterior_codes(sentences), q.mean)
    pyro.set_rng_seed(0)
    draws = generator.posterior_codes(sentences, num_samples=4)
    pyro.set_rng_seed(0)
    assert torch.equal(draws, q.sample((4,)))


def test_reconstructions_decode_the_posterior_means(vocab):
    vae = tiny_vae(latent_dim=3, seed=2).eval()
    generator = SentenceGenerator(vae, vocab, max_length=7)
    sentences = ["w1 w2", "w3 w4 w5 w6", "w0"]
    means = vae.posterior_distribution(vocab.batch(sentences)).mean
    expected = [vocab.decode(ids) for ids in vae.decode(means, vocab.bos_id, vocab.eos_id, max_length=7)]
    assert generator.reconstruct(sentences) == expected


def test_prior_and_posterior_samples_follow_the_seed_and_the_strategy(vocab):
    generator = SentenceGenerator(tiny_vae(latent_dim=3).eval(), vocab, TopK(3), max_length=6)
    pyro.set_rng_seed(0)
    first = generator.from_prior(5)
    pyro.set_rng_seed(0)
    assert generator.from_prior(5) == first and len(first) == 5
    per_sentence = generator.from_posterior(["w1 w2", "w5"], num_samples=3)
    assert [len(group) for group in per_sentence] == [3, 3]
    for sentence in first + [s for group in per_sentence for s in group]:
        assert len(sentence.split()) <= 6 and all(word in vocab for word in sentence.split())


def test_reconstruct_corpus_returns_the_references_in_batch_order(vocab):
    sentences = ["w1 w2", "w3 w4 w5 w6", "w0", "w7 w7 w7", "w9 w10"]
    dataset = SentenceDataset(sentences, vocab)
    batches = list(FixedBatches(dataset, 2))
    generator = SentenceGenerator(tiny_vae(latent_dim=3).eval(), vocab, max_length=3)
    hypotheses, references = generator.reconstruct_corpus(batches)
    order = torch.cat([batch.index for batch in batches]).tolist()
    assert references == [sentences[i] for i in order]
    assert hypotheses == [s for batch in batches for s in generator.reconstruct(batch, max_length=2 * int(batch.lengths.max()))]
    assert all(len(h.split()) <= 10 for h in hypotheses)  # twice the longest sentence (4 words + <eos>)


def test_a_language_model_generates_without_codes(vocab):
    torch.manual_seed(0)
    generator = SentenceGenerator(LanguageModel(RecurrentDecoder(VOCAB, 0, embed_dim=8, hidden_dim=12)).eval(), vocab, max_length=5)
    assert len(generator.from_prior(3)) == 3
    assert len(generator.reconstruct(["w1 w2", "w3"])) == 2
    with pytest.raises(UnsupportedModelError, match="no latent variable"):
        generator.posterior_codes(["w1"])


def test_bad_input(vocab):
    generator = SentenceGenerator(tiny_vae().eval(), vocab)
    with pytest.raises(DataError, match="sentence 2 is empty"):
        generator.reconstruct(["w1", "  "])
    with pytest.raises(DataError, match="no sentences"):
        vocab.batch([])
    with pytest.raises(UnsupportedModelError, match="no decode"):
        SentenceGenerator(object(), vocab)
