r"""N-gram overlap scores of token strings: corpus BLEU, ROUGE-N and self-BLEU.

Inputs are sentences as strings of whitespace-separated tokens (as the vocabulary decodes them);
scores count those tokens exactly as given: no re-tokenisation, no lower-casing, ``<unk>`` is a
token like any other. All scores are percentages (0-100).

* :func:`bleu`: corpus BLEU up to ``max_order``-grams (Papineni et al. 2002) by sacrebleu
  (``tokenize="none"``, its default exponential smoothing, one reference per hypothesis).
* :func:`rouge`: ROUGE-N F-measure (Lin 2004) by rouge-score with a whitespace tokenizer, the
  mean over sentence pairs.
* :func:`self_bleu`: the mean, over sentences :math:`s_i` of a generated corpus, of the sentence
  BLEU of :math:`s_i` against all the other sentences as references (Zhu et al. 2018, "Texygen";
  used by Prokhorov et al. 2019 to measure diversity: higher is less diverse). Sentence BLEU is
  sacrebleu's (exponential smoothing, effective order). Computed from clipped n-gram counts in
  :math:`O(\text{tokens})` rather than :math:`O(N^2)` comparisons: the clip count of an n-gram
  against "all other sentences" is the largest count of that n-gram in any other sentence, so the
  two largest counts per n-gram suffice; the result equals sacrebleu's ``sentence_score`` against
  the explicit reference list.

References: Papineni et al., "BLEU: a Method for Automatic Evaluation of Machine Translation"
(ACL 2002); Post, "A Call for Clarity in Reporting BLEU Scores" (WMT 2018, sacrebleu); Lin,
"ROUGE: A Package for Automatic Evaluation of Summaries" (2004); Zhu et al., "Texygen: A
Benchmarking Platform for Text Generation Models" (SIGIR 2018, arXiv:1802.01886).
"""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Sequence

from pyrovae.errors import DataError


def check_pairs(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    """Raise :class:`DataError` unless there is one reference per hypothesis and at least one."""
    if len(hypotheses) != len(references):
        raise DataError(
            f"got {len(hypotheses)} hypotheses and {len(references)} references: pass one reference per hypothesis"
        )
    if not hypotheses:
        raise DataError("no sentences to score: pass at least one hypothesis and its reference")


def _check_order(order: int) -> None:
    if not isinstance(order, int) or order < 1:
        raise DataError(f"the n-gram order must be a positive integer, got {order!r}")


def bleu(hypotheses: Sequence[str], references: Sequence[str], max_order: int = 4) -> float:
    """Corpus BLEU (0-100) of ``hypotheses`` against one reference each, up to ``max_order``-grams."""
    from sacrebleu.metrics import BLEU

    check_pairs(hypotheses, references)
    _check_order(max_order)
    metric = BLEU(tokenize="none", max_ngram_order=max_order, force=True)  # our text is tokenised on purpose
    return float(metric.corpus_score(list(hypotheses), [list(references)]).score)


class _WhitespaceTokenizer:
    """The tokens of a string as given (rouge-score's default would lower-case and drop punctuation)."""

    @staticmethod
    def tokenize(text: str) -> list[str]:
        return text.split()


def rouge(hypotheses: Sequence[str], references: Sequence[str], order: int = 2) -> float:
    """Mean ROUGE-``order`` F-measure (0-100) over hypothesis/reference pairs."""
    from rouge_score.rouge_scorer import RougeScorer

    check_pairs(hypotheses, references)
    _check_order(order)
    name = f"rouge{order}"
    scorer = RougeScorer([name], tokenizer=_WhitespaceTokenizer())
    total = sum(scorer.score(ref, hyp)[name].fmeasure for hyp, ref in zip(hypotheses, references))
    return 100.0 * total / len(hypotheses)


def _closest_other_length(length: int, sorted_lengths: list[int], counts: Counter) -> int:
    """sacrebleu's closest reference length (ties to the shorter) among all lengths but one
    occurrence of ``length`` itself."""
    if counts[length] > 1:
        return length
    at = bisect.bisect_left(sorted_lengths, length)
    candidates = [sorted_lengths[i] for i in (at - 1, at + 1) if 0 <= i < len(sorted_lengths)]
    return min(candidates, key=lambda other: (abs(other - length), other))


def self_bleu(sentences: Sequence[str], max_order: int = 4) -> float:
    """Self-BLEU (0-100) of a corpus: mean sentence BLEU of each sentence against all others."""
    from sacrebleu.metrics import BLEU
    from sacrebleu.metrics.helpers import extract_all_word_ngrams

    _check_order(max_order)
    if len(sentences) < 2:
        raise DataError(f"self-BLEU needs at least 2 sentences, got {len(sentences)}")
    extracted = [extract_all_word_ngrams(s, 1, max_order) for s in sentences]
    best: dict[tuple, list[int]] = {}  # n-gram -> [largest count, its sentence, second largest]
    for i, (ngrams, _) in enumerate(extracted):
        for ngram, count in ngrams.items():
            entry = best.get(ngram)
            if entry is None:
                best[ngram] = [count, i, 0]
            elif count > entry[0]:
                best[ngram] = [count, i, entry[0]]
            elif count > entry[2]:
                entry[2] = count
    lengths = [length for _, length in extracted]
    length_counts = Counter(lengths)
    unique_lengths = sorted(length_counts)
    total = 0.0
    for i, (ngrams, length) in enumerate(extracted):
        correct, candidates = [0] * max_order, [0] * max_order
        for ngram, count in ngrams.items():
            largest, holder, second = best[ngram]
            clip = second if holder == i else largest
            candidates[len(ngram) - 1] += count
            correct[len(ngram) - 1] += min(count, clip)
        reference_length = _closest_other_length(length, unique_lengths, length_counts)
        total += BLEU.compute_bleu(
            correct, candidates, length, reference_length,
            smooth_method="exp", effective_order=True, max_ngram_order=max_order,
        ).score
    return total / len(sentences)
