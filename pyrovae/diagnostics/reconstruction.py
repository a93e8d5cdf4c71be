r"""Reconstruction quality: BLEU-2/4 and ROUGE-2/4, overall and by sentence length.

Prokhorov et al. (2019, Table 1) score the reconstructions of a test set (each sentence encoded,
then decoded) against the sentences themselves, overall and in buckets of reference length:
:math:`\le 10`, :math:`(10, 20]` and :math:`(20, 30]` tokens (longer sentences count only in
``"all"``). Length is the number of whitespace-separated tokens of the reference (words, no end
token). Scores are percentages from :mod:`pyrovae.diagnostics.overlap` (corpus BLEU within each
bucket, mean ROUGE F-measure); rising rate should raise them.

Reference: Prokhorov et al., "On the Importance of the Kullback-Leibler Divergence Term in
Variational Autoencoders for Text Generation", WNGT 2019 (arXiv:1909.13668), section 3.1.
"""

from __future__ import annotations

from typing import Sequence

from pyrovae.diagnostics.overlap import bleu, check_pairs, rouge

#: (name, shortest, longest) reference length of each bucket, in tokens, both inclusive.
LENGTH_BUCKETS: tuple[tuple[str, int, int], ...] = (("<=10", 0, 10), ("10-20", 11, 20), ("20-30", 21, 30))


def _scores(hypotheses: list[str], references: list[str]) -> dict:
    if not hypotheses:
        return {"count": 0, "bleu2": None, "bleu4": None, "rouge2": None, "rouge4": None}
    return {
        "count": len(hypotheses),
        "bleu2": bleu(hypotheses, references, 2),
        "bleu4": bleu(hypotheses, references, 4),
        "rouge2": rouge(hypotheses, references, 2),
        "rouge4": rouge(hypotheses, references, 4),
    }


def reconstruction_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict:
    """``{"all": ..., "<=10": ..., "10-20": ..., "20-30": ...}``, each
    ``{"count", "bleu2", "bleu4", "rouge2", "rouge4"}`` (percentages; None for an empty bucket).

    Raises:
        DataError: no sentences, or not one reference per hypothesis.
    """
    check_pairs(hypotheses, references)
    results = {"all": _scores(list(hypotheses), list(references))}
    for name, low, high in LENGTH_BUCKETS:
        pairs = [(h, r) for h, r in zip(hypotheses, references) if low <= len(r.split()) <= high]
        results[name] = _scores([h for h, _ in pairs], [r for _, r in pairs])
    return results
