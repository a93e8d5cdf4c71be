"""evaluate() on a tiny TextVAE and a tiny language model."""

from __future__ import annotations

import math

import pyro
import pytest
import torch
from torch import nn

from pyrovae.distributions.token_sequence import TokenSequence
from pyrovae.errors import ConfigError
from pyrovae.latent import DiagonalNormal, StandardNormal
from pyrovae.metrics import evaluate
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder
from pyrovae.text.batch import TokenBatch
from pyrovae.vae import TextVAE

VOCAB, PAD, BOS, EOS = 20, 0, 2, 3
KEYS = {
    "elbo", "rate", "distortion", "iw_log_likelihood", "nll", "ppl", "nll_per_token",
    "active_units", "mutual_information", "num_sentences", "num_tokens",
}


def make_batch(sentences: list[list[int]]) -> TokenBatch:
    """``<bos> words <eos> <pad>...`` rows; lengths = words + 1."""
    width = max(len(s) for s in sentences) + 2
    rows = [[BOS, *s, EOS] + [PAD] * (width - len(s) - 2) for s in sentences]
    return TokenBatch(torch.tensor(rows), torch.tensor([len(s) + 1 for s in sentences]), PAD)


SENTENCES = [[4, 5, 6], [7, 8, 9, 10, 11], [12], [13, 14], [15, 16, 17, 18], [19, 4], [5]]
BATCHES = [make_batch(SENTENCES[:4]), make_batch(SENTENCES[4:])]
NUM_TOKENS = sum(len(s) + 1 for s in SENTENCES)  # words + one <eos> each = 25


def tiny_vae() -> TextVAE:
    torch.manual_seed(0)
    return TextVAE(
        RecurrentEncoder(VOCAB, embed_dim=8, hidden_dim=8, pad_id=PAD),
        DiagonalNormal(8, 3),
        StandardNormal(3),
        RecurrentDecoder(VOCAB, 3, embed_dim=8, hidden_dim=8, dropout=0.5, word_dropout=0.5),
    )


def test_tiny_text_vae_report_is_consistent():
    vae = tiny_vae()
    vae.train()
    seen_modes = []
    vae.decoder.register_forward_hook(lambda module, args, out: seen_modes.append(module.training))

    report = evaluate(vae, iter(BATCHES), iw_samples=300)

    assert set(report) == KEYS
    assert seen_modes and not any(seen_modes)  # evaluated in eval mode...
    assert vae.training and vae.decoder.training and vae.decoder.dropout.training  # ...restored
    elbo, rate, distortion = report["elbo"], report["rate"], report["distortion"]
    assert elbo.value == pytest.approx(-(rate.value + distortion.value), abs=1e-6)
    assert elbo.unit == "nats/sentence" and rate.value > 0
    iw = report["iw_log_likelihood"]
    assert iw.value >= elbo.value - 1e-3
    assert report["nll"].value == pytest.approx(-iw.value)
    assert report["num_sentences"].value == len(SENTENCES)
    assert report["num_tokens"].value == NUM_TOKENS
    assert report["nll_per_token"].value == pytest.approx(-iw.value * len(SENTENCES) / NUM_TOKENS)
    assert report["ppl"].value == pytest.approx(math.exp(report["nll_per_token"].value))
    ppl, per_token = report["ppl"], report["nll_per_token"]
    assert ppl.stderr == pytest.approx(ppl.value * per_token.stderr)  # delta method
    assert 0 <= report["active_units"].value <= 3
    assert report["mutual_information"].unit == "nats"
    assert report["mutual_information"].value <= math.log(len(SENTENCES)) + 1e-4


def test_importance_weighting_recovers_rate_the_decoder_does_not_use():
    """A wide posterior that the (untrained) decoder barely uses costs rate R in the ELBO, but
    log p(x) ~ ELBO + R: with K = 500 the IW estimate must sit well above the ELBO."""
    vae = tiny_vae()
    with torch.no_grad():
        vae.posterior.to_params.bias[3:].fill_(1.0)  # log sigma^2 = 1 + noise
    report = evaluate(vae, BATCHES, iw_samples=500)
    gap = report["iw_log_likelihood"].value - report["elbo"].value
    assert gap > 0.5 * report["rate"].value > 0.4, report


class NonScoringPosterior(DiagonalNormal):
    scores_any_point = False


def test_posterior_that_cannot_score_foreign_points_gets_no_information_estimate():
    vae = tiny_vae()
    vae.posterior = NonScoringPosterior(8, 3)
    report = evaluate((vae.model, vae.guide), BATCHES, iw_samples=5)
    assert math.isnan(report["mutual_information"].value)
    assert "IAF" in report["mutual_information"].note
    assert report["active_units"].value == report["active_units"].value  # a number, not NaN


class LanguageModel(nn.Module):
    """A decoder without latent, as a model/guide pair whose guide samples nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.decoder = RecurrentDecoder(VOCAB, 0, embed_dim=8, hidden_dim=8)

    def model(self, batch: TokenBatch) -> None:
        with pyro.plate("sentences", batch.size):
            logits = self.decoder(batch.decoder_inputs)
            pyro.sample("tokens", TokenSequence(logits, batch.lengths, PAD), obs=batch.targets)

    def guide(self, batch: TokenBatch) -> None:
        pass


def test_language_model_has_zero_rate_units_and_information():
    lm = LanguageModel()
    report = evaluate(lm, BATCHES, iw_samples=10)
    assert report["rate"].value == 0
    assert report["active_units"].value == 0 and report["active_units"].note
    assert report["mutual_information"].value == 0 and report["mutual_information"].note
    with torch.no_grad():
        exact = torch.cat(
            [
                TokenSequence(lm.decoder(b.decoder_inputs), b.lengths, PAD).log_prob(b.targets)
                for b in BATCHES
            ]
        )
    iw = report["iw_log_likelihood"].value
    assert iw == pytest.approx(float(exact.double().mean()), abs=1e-5)
    assert report["elbo"].value == pytest.approx(report["iw_log_likelihood"].value, abs=1e-5)


def test_mutual_information_on_a_random_subset_of_sentences():
    """With posteriors far narrower than the distance between their means, every code is
    identified by its sentence: I = log N on all N sentences and log k on a subset of k."""
    vae = tiny_vae()
    with torch.no_grad():
        vae.posterior.to_params.bias[3:] = -30.0  # log-variance: sigma ~ 3e-7
    full = evaluate(vae, iter(BATCHES), iw_samples=0)["mutual_information"]
    assert full.value == pytest.approx(math.log(len(SENTENCES)), abs=1e-4) and full.note is None
    subset = evaluate(vae, iter(BATCHES), iw_samples=0, mi_points=3)["mutual_information"]
    assert subset.value == pytest.approx(math.log(3), abs=1e-4)
    assert "random subset of 3 of 7 sentences" in subset.note
    everything = evaluate(vae, iter(BATCHES), iw_samples=0, mi_points=50)["mutual_information"]
    assert everything.value == pytest.approx(full.value, abs=1e-4) and everything.note is None
    with pytest.raises(ConfigError, match="mi_points"):
        evaluate(vae, iter(BATCHES), iw_samples=0, mi_points=1)


def test_a_posterior_whose_density_overflows_gets_no_information_estimate_but_a_report():
    """Scoring the aggregate posterior must not end the evaluation with a traceback when a
    posterior's log-density is not finite (an overflowed flow inverse, or here a scale whose
    square underflows): MI is NaN with a note that says why, the rest is reported."""
    vae = tiny_vae()
    with torch.no_grad():
        vae.posterior.to_params.bias[3:] = -150.0  # sigma = e^-75: sigma^2 underflows in float32
    for mi_points in (None, 5):
        report = evaluate(vae, iter(BATCHES), iw_samples=0, mi_points=mi_points)
        assert math.isnan(report["mutual_information"].value)
        assert "not finite" in report["mutual_information"].note
        assert math.isfinite(report["distortion"].value)
