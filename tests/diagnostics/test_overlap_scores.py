"""BLEU, ROUGE and self-BLEU against hand computations and the reference libraries."""

from __future__ import annotations

import math
import random

import pytest
import sacrebleu
from rouge_score.rouge_scorer import RougeScorer
from sacrebleu.metrics import BLEU

from pyrovae.diagnostics import bleu, reconstruction_scores, rouge, self_bleu
from pyrovae.errors import DataError

HYPOTHESES = ["the cat sat on the mat", "a b c"]
REFERENCES = ["the cat sat on a mat", "a b c d"]


def test_bleu_by_hand_and_by_sacrebleu():
    # one pair: unigram precision 5/6, bigram 3/5, trigram 2/4, 4-gram 1/3; equal lengths
    assert bleu(HYPOTHESES[:1], REFERENCES[:1], 2) == pytest.approx(100 * math.sqrt(5 / 6 * 3 / 5))
    assert bleu(HYPOTHESES[:1], REFERENCES[:1], 4) == pytest.approx(100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25)
    # the corpus: pooled counts 8/9 and 5/7, 9 hypothesis tokens against 10 reference tokens
    by_hand = math.exp(1 - 10 / 9) * math.sqrt(8 / 9 * 5 / 7)
    assert bleu(HYPOTHESES, REFERENCES, 2) == pytest.approx(100 * by_hand)
    reference = sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES], tokenize="none").score
    assert bleu(HYPOTHESES, REFERENCES, 4) == pytest.approx(reference, abs=1e-12)


def test_rouge_by_hand_and_by_rouge_score():
    # bigram F: 3/5 for the first pair; P = 1, R = 2/3 for the second
    assert rouge(HYPOTHESES, REFERENCES, 2) == pytest.approx(100 * (0.6 + 0.8) / 2)
    assert rouge(HYPOTHESES, REFERENCES, 4) == pytest.approx(100 * (1 / 3 + 0) / 2)
    scorer = RougeScorer(["rouge2"])  # its default tokenizer agrees on plain lower-case words
    expected = sum(scorer.score(r, h)["rouge2"].fmeasure for h, r in zip(HYPOTHESES, REFERENCES)) / 2
    assert rouge(HYPOTHESES, REFERENCES, 2) == pytest.approx(100 * expected)


def test_tokens_are_scored_as_given():
    assert rouge(["<unk> , N ."], ["<unk> , N ."], 1) == pytest.approx(100.0)
    assert rouge(["The"], ["the"], 1) == 0.0 and bleu(["The"], ["the"], 1) == 0.0


def test_self_bleu_equals_sentence_bleu_against_all_other_sentences():
    rng = random.Random(0)
    words = "a b c d e".split()
    corpus = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(30)]
    corpus += corpus[:3]  # duplicates: an n-gram's largest count is shared
    for order in (2, 4):
        metric = BLEU(tokenize="none", effective_order=True, max_ngram_order=order)
        brute_force = sum(
            metric.sentence_score(s, corpus[:i] + corpus[i + 1 :]).score for i, s in enumerate(corpus)
        ) / len(corpus)
        assert self_bleu(corpus, order) == pytest.approx(brute_force, abs=1e-9)
    assert self_bleu(["x y z", "x y z"]) == pytest.approx(100.0)


def test_reconstruction_scores_by_reference_length():
    references = [" ".join(["w"] * n) for n in (5, 15, 25, 35)]
    hypotheses = [" ".join(["w"] * (n - 1) + ["v"]) for n in (5, 15, 25, 35)]
    scores = reconstruction_scores(hypotheses, references)
    assert [scores[k]["count"] for k in ("all", "<=10", "10-20", "20-30")] == [4, 1, 1, 1]
    assert scores["10-20"]["bleu4"] == pytest.approx(bleu(hypotheses[1:2], references[1:2], 4))
    assert scores["all"]["rouge2"] == pytest.approx(rouge(hypotheses, references, 2))
    empty = reconstruction_scores(["a"], ["a " * 40])
    assert empty["<=10"] == {"count": 0, "bleu2": None, "bleu4": None, "rouge2": None, "rouge4": None}


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError, match="one reference per hypothesis"):
        bleu(["a"], ["a", "b"], 4)
    with pytest.raises(DataError, match="at least one"):
        rouge([], [], 2)
    with pytest.raises(DataError, match="at least 2"):
        self_bleu(["only one"])
    with pytest.raises(DataError, match="positive integer"):
        bleu(["a"], ["a"], 0)
