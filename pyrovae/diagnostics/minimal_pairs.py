r"""Syntactic minimal pairs: does the decoder prefer the grammatical sentence given a code?

Prokhorov et al. (2019, section 3.4) encode both sentences of a minimal pair (Marvin & Linzen
2018), a grammatical :math:`x^+` and an ungrammatical :math:`x^-`, and ask which one the decoder
finds more likely:

* :math:`p_1 = P\big[p(x^+ \mid z^+) > p(x^- \mid z^+)\big]`, :math:`z^+ \sim q(z \mid x^+)`:
  given the grammatical sentence's own code;
* :math:`p_2 = P\big[p(x^+ \mid z^-) > p(x^- \mid z^-)\big]`, :math:`z^- \sim q(z \mid x^-)`:
  given the ungrammatical sentence's code (a decoder that copies its code prefers :math:`x^-`);
* :math:`\bar p_1, \bar p_2`: the same with the codes averaged within each category,
  :math:`\bar z^\pm_c = \frac{1}{|c|} \sum_{i \in c} \mathbb E_q[z \mid x^\pm_i]` (posterior means),
  which keeps what the category's sentences share and averages out the rest.

Here :math:`p_1` and :math:`p_2` average the indicator over ``num_samples`` codes per pair, then
over pairs; :math:`\bar p_1, \bar p_2` are deterministic. Ties count as failures (strict
inequality). Each value is a fraction of pairs with the standard error over pairs, per category
and overall. For a decoder that ignores its code all four are equal: the fraction of pairs its
language model gets right.

Input: a UTF-8 TSV file, one pair per line, ``category <TAB> grammatical <TAB> ungrammatical``;
blank lines and lines starting with ``#`` are skipped, and a first line
``category <TAB> grammatical <TAB> ungrammatical`` is taken as a header.

References: Prokhorov et al., WNGT 2019 (arXiv:1909.13668), section 3.4 and Table 4; Marvin &
Linzen, "Targeted Syntactic Evaluation of Language Models", EMNLP 2018 (arXiv:1808.09031).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Sequence

import torch

from pyrovae.diagnostics.decoding import conditional_log_likelihood, latent_site_name
from pyrovae.errors import ConfigError, DataError
from pyrovae.metrics.active_units import posterior_mean
from pyrovae.metrics.aggregate_posterior import guide_posterior
from pyrovae.metrics.estimate import Estimate
from pyrovae.metrics.model_access import (
    evaluation_mode,
    model_and_guide,
    owning_modules,
    parameter_device,
)
from pyrovae.text.codec import EncodedSentence, TextCodec

HEADER = ("category", "grammatical", "ungrammatical")
UNIT = "fraction of pairs"


@dataclass(frozen=True)
class MinimalPair:
    """One minimal pair of a syntactic category."""

    category: str
    grammatical: str
    ungrammatical: str


def read_minimal_pairs(path: str | os.PathLike) -> list[MinimalPair]:
    """Read ``category <TAB> grammatical <TAB> ungrammatical`` lines (see the module docstring).

    Raises:
        DataError: a missing or non-UTF-8 file, a line without exactly three non-empty fields,
            a pair whose two sentences are identical, or no pair at all.
    """
    try:
        text = open(path, encoding="utf-8").read()
    except FileNotFoundError:
        raise DataError(f"minimal-pairs file {path} does not exist") from None
    except UnicodeDecodeError as error:
        raise DataError(f"minimal-pairs file {path} is not UTF-8 text ({error})") from None
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [field.strip() for field in line.split("\t")]
        if not pairs and tuple(f.lower() for f in fields) == HEADER:
            continue
        if len(fields) != 3 or not all(fields):
            raise DataError(
                f"{path}, line {number}: expected 3 non-empty tab-separated fields (category, "
                f"grammatical sentence, ungrammatical sentence), got {len(fields)}: {line[:80]!r}"
            )
        if fields[1] == fields[2]:
            raise DataError(f"{path}, line {number}: the grammatical and ungrammatical sentences are identical")
        pairs.append(MinimalPair(*fields))
    if not pairs:
        raise DataError(f"minimal-pairs file {path} holds no pairs")
    return pairs


def _batch(sentences: Sequence[EncodedSentence], codec: TextCodec, device):
    batch = codec.collate(sentences)
    return batch.to(device) if device is not None else batch


def _prefers_grammatical(model, site: str, good, bad, z: torch.Tensor) -> torch.Tensor:
    """``[B]`` float64: 1 where :math:`\\log p(x^+|z) > \\log p(x^-|z)`."""
    return (conditional_log_likelihood(model, good, site, z) > conditional_log_likelihood(model, bad, site, z)).double()


def _summary(values: dict[str, torch.Tensor]) -> dict[str, Any]:
    return {name: Estimate.from_samples(v, UNIT) for name, v in values.items()} | {
        "count": int(next(iter(values.values())).numel())
    }


@torch.no_grad()
def minimal_pairs(
    vae: Any,
    codec: TextCodec,
    pairs: Sequence[MinimalPair],
    *,
    num_samples: int = 10,
    batch_size: int = 64,
) -> dict:
    """Score minimal pairs with a model/guide pair (definitions in the module docstring).

    Args:
        vae: a :class:`~pyrovae.vae.TextVAE`, an object with ``.model``/``.guide``, or a pair.
        codec: the model's codec (a word-level vocabulary maps unknown words to ``<unk>``).
        pairs: e.g. from :func:`read_minimal_pairs`.
        num_samples: codes drawn per sentence for :math:`p_1, p_2`.
        batch_size: pairs scored at once.

    Returns:
        ``{"overall": S, "categories": {name: S}, "pairs_with_unknown_words": int,
        "num_samples": int}`` where each ``S`` is ``{"p1", "p2", "p1_averaged", "p2_averaged":
        Estimate, "count": int}``.

    Raises:
        ConfigError: ``num_samples`` or ``batch_size`` below 1. DataError: no pairs.
    """
    if num_samples < 1 or batch_size < 1:
        raise ConfigError(f"num_samples and batch_size must be at least 1, got {num_samples} and {batch_size}")
    if not pairs:
        raise DataError("no minimal pairs to score")
    model, guide = model_and_guide(vae)
    modules = owning_modules(vae, model, guide)
    device = parameter_device(modules)
    good_ids = codec.encode_sentences([p.grammatical for p in pairs])
    bad_ids = codec.encode_sentences([p.ungrammatical for p in pairs])
    unk = codec.unk_id
    unknown = sum(unk is not None and (unk in g.ids or unk in b.ids) for g, b in zip(good_ids, bad_ids))
    chunks = [slice(start, start + batch_size) for start in range(0, len(pairs), batch_size)]
    p1, p2, good_means, bad_means = [], [], [], []
    with evaluation_mode(modules):
        site = latent_site_name(guide, _batch(good_ids[:1], codec, device))
        for rows in chunks:
            good, bad = _batch(good_ids[rows], codec, device), _batch(bad_ids[rows], codec, device)
            q_good, q_bad = guide_posterior(guide, good, site=site), guide_posterior(guide, bad, site=site)
            good_means.append(posterior_mean(q_good))
            bad_means.append(posterior_mean(q_bad))
            p1.append(sum(_prefers_grammatical(model, site, good, bad, q_good.sample()) for _ in range(num_samples)) / num_samples)
            p2.append(sum(_prefers_grammatical(model, site, good, bad, q_bad.sample()) for _ in range(num_samples)) / num_samples)
        members: dict[str, list[int]] = defaultdict(list)
        for i, pair in enumerate(pairs):
            members[pair.category].append(i)
        good_code, bad_code = torch.cat(good_means), torch.cat(bad_means)
        for indices in members.values():  # every pair gets its category's average codes
            good_code[indices] = good_code[indices].mean(0)
            bad_code[indices] = bad_code[indices].mean(0)
        p1_avg, p2_avg = [], []
        for rows in chunks:
            good, bad = _batch(good_ids[rows], codec, device), _batch(bad_ids[rows], codec, device)
            p1_avg.append(_prefers_grammatical(model, site, good, bad, good_code[rows]))
            p2_avg.append(_prefers_grammatical(model, site, good, bad, bad_code[rows]))
    values = {
        "p1": torch.cat(p1).cpu(),
        "p2": torch.cat(p2).cpu(),
        "p1_averaged": torch.cat(p1_avg).cpu(),
        "p2_averaged": torch.cat(p2_avg).cpu(),
    }
    return {
        "overall": _summary(values),
        "categories": {
            name: _summary({key: v[indices] for key, v in values.items()}) for name, indices in members.items()
        },
        "pairs_with_unknown_words": int(unknown),
        "num_samples": num_samples,
    }
