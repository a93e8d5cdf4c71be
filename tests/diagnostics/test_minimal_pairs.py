"""Minimal pairs: the TSV reader's errors, and p1/p2 on models whose answers are known."""

from __future__ import annotations

import pyro
import pytest
import torch

from pyrovae.diagnostics import MinimalPair, minimal_pairs, read_minimal_pairs
from pyrovae.distributions import TokenSequence
from pyrovae.errors import DataError
from pyrovae.latent import DiagonalNormal, StandardNormal
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder
from pyrovae.text import Vocabulary
from pyrovae.vae import TextVAE
from tests.diagnostics.toy_models import FirstWordCode

WORDS = ["a", "b", "c", "d", "e", "f"]


def test_reader_skips_header_comments_and_blank_lines(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("Category\tGrammatical\tUngrammatical\n# agreement\n\nagr\tthe cat sleeps\tthe cat sleep\n"
                    "npi\tno one has ever\tsome one has ever\n", encoding="utf-8")
    assert read_minimal_pairs(path) == [
        MinimalPair("agr", "the cat sleeps", "the cat sleep"),
        MinimalPair("npi", "no one has ever", "some one has ever"),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("agr\tthe cat sleeps\n", "line 1: expected 3 non-empty tab-separated fields"),
        ("agr\ta\tb\nagr\t\tb\n", "line 2: expected 3"),
        ("agr\ta b\ta b\n", "line 1: the grammatical and ungrammatical sentences are identical"),
        ("# nothing\n\n", "holds no pairs"),
    ],
)
def test_reader_errors_name_the_line_and_the_fix(tmp_path, text, message):
    path = tmp_path / "pairs.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_minimal_pairs(path)


def test_reader_missing_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_minimal_pairs(tmp_path / "absent.tsv")
    (tmp_path / "binary.tsv").write_bytes(b"\xff\xfe\x00a")
    with pytest.raises(DataError, match="not UTF-8"):
        read_minimal_pairs(tmp_path / "binary.tsv")


def _pairs() -> list[MinimalPair]:
    return [
        MinimalPair("first", "a c", "b c"),
        MinimalPair("first", "a d e", "b d e"),
        MinimalPair("first", "a f", "b f"),
        MinimalPair("second", "c a", "d a"),
        MinimalPair("second", "c zzz", "d zzz"),  # an unknown word
    ]


def test_a_code_naming_the_first_word_copies_its_sentence():
    """Given x+'s code the decoder prefers x+ (p1 = 1); given x-'s, x- (p2 = 0). Within a category
    the grammatical (ungrammatical) sentences share their first word, so averaged codes agree."""
    pyro.set_rng_seed(0)
    vocab = Vocabulary(list(Vocabulary.SPECIALS) + WORDS)
    result = minimal_pairs(FirstWordCode(len(vocab)), vocab, _pairs(), num_samples=3, batch_size=2)
    for scores in [result["overall"], *result["categories"].values()]:
        assert scores["p1"].value == 1.0 and scores["p2"].value == 0.0
        assert scores["p1_averaged"].value == 1.0 and scores["p2_averaged"].value == 0.0
    assert result["overall"]["count"] == 5 and result["categories"]["second"]["count"] == 2
    assert result["pairs_with_unknown_words"] == 1 and result["overall"]["p1"].unit == "fraction of pairs"


def test_a_decoder_that_ignores_z_scores_like_its_language_model():
    torch.manual_seed(0)
    vocab = Vocabulary(list(Vocabulary.SPECIALS) + WORDS)
    decoder = RecurrentDecoder(len(vocab), 0, embed_dim=8, hidden_dim=12)
    vae = TextVAE(RecurrentEncoder(len(vocab), 8, 12), DiagonalNormal(12, 3), StandardNormal(3), decoder)
    pairs = _pairs()
    result = minimal_pairs(vae, vocab, pairs, num_samples=2)

    def log_p(sentences):
        batch = vocab.batch(sentences)
        return TokenSequence(decoder(batch.decoder_inputs), batch.lengths).log_prob(batch.targets)

    with torch.no_grad():
        expected = (log_p([p.grammatical for p in pairs]) > log_p([p.ungrammatical for p in pairs])).double().mean()
    assert 0 < float(expected) < 1  # an untrained decoder prefers some of each
    overall = result["overall"]
    for key in ("p1", "p2", "p1_averaged", "p2_averaged"):
        assert overall[key].value == pytest.approx(float(expected))
