r"""``evaluate``: the standard report of a text VAE on an evaluation set.

Per sentence ``n`` with :math:`|x_n|` predicted tokens (words plus one end token):

* ``elbo``, ``rate``, ``distortion``: :math:`\mathrm{ELBO} = -(R + D)` from the shared
  accounting (:func:`pyrovae.infer.rate_distortion`, analytic KL where registered; Alemi et al.,
  "Fixing a Broken ELBO", arXiv:1711.00464), nats/sentence;
* ``iw_log_likelihood``: :math:`\widehat{\log p}_K(x_n)` with ``K = iw_samples``
  (:func:`pyrovae.infer.importance.importance_log_likelihood`; Burda et al., arXiv:1509.00519),
  nats/sentence, and ``nll`` its negation;
* ``nll_per_token`` :math:`= \sum_n -\widehat{\log p}(x_n) / \sum_n |x_n|` (nats/token) and
  ``ppl`` :math:`= \exp(\texttt{nll\_per\_token})` (Barkhof 2021, eq. 3.2), per token of the
  codec (a word, a subword, a character: the unit names it);
* for codecs whose tokens are not words, also ``nll_per_word`` and ``ppl_per_word`` over the
  whitespace words plus one end of sentence per sentence (:attr:`~pyrovae.text.TokenBatch.words`),
  comparable with a word-level model's per-token figures;
* ``active_units`` (Burda et al. 2016) and ``mutual_information`` :math:`I_q(x; z)` over the
  whole set (He et al., arXiv:1901.05534);
* ``num_sentences``, ``num_tokens`` (and ``num_words``): each count includes one end of sentence
  per sentence, the convention of the per-token figures.

Standard errors are over sentences (i.i.d. assumption): of the mean for per-sentence figures; by
the delta method for the ratio ``nll_per_token``,
:math:`\mathrm{SE}(r) = \mathrm{sd}_n(\ell_n - r |x_n|) / (\sqrt N\, \overline{|x|})` with
:math:`\ell_n` the NLL and ``ddof=1``, and for ``ppl`` :math:`\mathrm{SE} = \mathrm{ppl} \cdot
\mathrm{SE}(r)`. Counts and active units have no standard error.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import torch
from pyro.infer.enum import get_importance_trace
from tqdm.auto import tqdm

from pyrovae.errors import ConfigError, DataError, UnsupportedModelError
from pyrovae.infer.elbo import ELBO
from pyrovae.infer.importance import importance_log_likelihood
from pyrovae.infer.objective import Objective
from pyrovae.infer.rate_distortion import rate_distortion
from pyrovae.metrics.active_units import active_units, posterior_mean
from pyrovae.metrics.aggregate_posterior import (
    AggregatePosterior,
    check_scores_any_point,
    guide_posterior,
    latent_sites,
)
from pyrovae.metrics.estimate import Estimate
from pyrovae.metrics.model_access import (
    evaluation_mode,
    model_and_guide,
    owning_modules,
    parameter_device,
)
from pyrovae.metrics.mutual_information import mutual_information
from pyrovae.text.batch import TokenBatch

NO_LATENT_NOTE = "the model has no latent variable: no unit is active and I(x; z) = 0"


def _per_token(nll: torch.Tensor, tokens: torch.Tensor, unit: str = "token", note: str | None = None) -> tuple[Estimate, Estimate]:
    """``nll_per_token`` and ``ppl`` with delta-method standard errors (see module docstring)."""
    rate = Estimate.from_ratio(nll, tokens, f"nats/{unit}", note)
    ppl = math.exp(rate.value)
    return rate, Estimate(ppl, None if rate.stderr is None else ppl * rate.stderr, f"per-{unit} perplexity", note)


def _sentence_terms(objective: Objective, model: Callable, guide: Callable, batch: TokenBatch) -> torch.Tensor:
    """``[B, 3]``: ELBO, rate, distortion of each sentence, from one trace of the whole batch."""
    model_trace, guide_trace = get_importance_trace("flat", 1, model, guide, (batch,), {})
    terms = rate_distortion(model_trace, guide_trace, analytic_kl=objective.analytic_kl)
    distortion, rate = terms.per_data_point()
    return torch.stack([-(distortion + rate), rate, distortion], -1).reshape(-1, 3).double().cpu()


def _active_units_estimate(means: list[torch.Tensor], problem: str | None) -> Estimate:
    if problem is None:
        try:
            return Estimate(float(active_units(torch.cat(means)).count), None, "units")
        except DataError as error:
            problem = str(error)
    return Estimate(math.nan, None, "units", problem)


@torch.no_grad()
def _subset_mutual_information(
    guide: Callable, batches: list[TokenBatch], points: int, device: torch.device | None
) -> Estimate:
    """:func:`mutual_information` over ``points`` sentences of ``batches`` chosen uniformly at
    random (the smallest of i.i.d. uniform keys), re-encoded in sub-batches."""
    keys = torch.rand(sum(b.size for b in batches))
    chosen = torch.zeros_like(keys, dtype=torch.bool)
    chosen[keys.argsort()[:points]] = True
    subsets = [
        batch.select(rows.nonzero().squeeze(-1))
        for batch, rows in zip(batches, chosen.split([b.size for b in batches]))
        if rows.any()
    ]
    subsets = [b.to(device) if device is not None else b for b in subsets]
    estimate = mutual_information(AggregatePosterior.collect(guide, subsets))
    n, total = int(chosen.sum()), keys.numel()
    if n == total:
        return estimate
    note = f"on a random subset of {n} of {total} sentences: at most log {n} = {math.log(n):.2f} nats"
    return Estimate(estimate.value, estimate.stderr, estimate.unit, note)


def evaluate(
    vae_or_pair: Any,
    batches: Iterable[TokenBatch],
    iw_samples: int = 500,
    objective: Objective | None = None,
    progress: bool = False,
    mi_points: int | None = None,
    token_unit: str | None = None,
) -> dict[str, Estimate]:
    """Evaluate a model/guide pair on ``batches`` (one pass; a generator is fine).

    Args:
        vae_or_pair: a :class:`~pyrovae.vae.TextVAE`, any object with ``.model`` and ``.guide``
            methods taking a :class:`TokenBatch`, or a ``(model, guide)`` tuple. Its modules are
            in evaluation mode during the call and get their previous modes back afterwards;
            batches are moved to the device of their parameters.
        batches: the evaluation set.
        iw_samples: importance samples per sentence for the log-likelihood.
        objective: the accounting of ``elbo``/``rate``/``distortion``; by default
            :class:`pyrovae.infer.ELBO` with analytic KL. Its ``last_terms`` (true ELBO, rate and
            distortion) are what is reported, whatever the objective optimises. It is run on
            one sentence at a time, so every sentence has its own values for the standard errors.
        progress: show a progress bar over batches.
        mi_points: estimate the mutual information on a uniformly random subset of this many
            sentences (drawn with the torch RNG) instead of all ``N``. Its cost is quadratic in the
            number of points, which matters for flows whose ``log q(z | x)`` at a foreign point needs
            a sequential inverse (IAF: ``D`` network passes per pair); the estimate is then capped
            at ``log mi_points`` nats instead of ``log N`` (see
            :mod:`pyrovae.metrics.mutual_information`), and its note says so.
        token_unit: what a token is, for the units of the per-token figures (``nats/word``,
            ``nats/subword token``, ...); by default the ``token_unit`` of ``batches.codec`` when the
            batches have one (:class:`~pyrovae.data.FixedBatches`), else ``token``. Per-word
            figures are added unless the tokens are words.

    Returns:
        ``{name: Estimate}`` with the keys listed in the module docstring. For a model without
        latent site ``active_units`` and ``mutual_information`` are 0 with a note; when the guide
        has several latent sites, or (for MI) a posterior that cannot score foreign points, they
        are NaN with a note saying why.

    With ``iw_samples=0`` no importance sampling is done: ``iw_log_likelihood``, ``nll``,
    ``nll_per_token`` and ``ppl`` are replaced by the bounds ``neg_elbo_per_token`` and ``ppl_bound``,
    except for a model without latent variable, whose ELBO is its exact log-likelihood (reported as
    such, with a note).

    Raises:
        DataError: ``batches`` is empty.
        UnsupportedModelError: ``vae_or_pair`` has no model and guide.
    """
    if mi_points is not None and mi_points < 2:
        raise ConfigError(f"mi_points must be at least 2 sentences, got {mi_points}")
    model, guide = model_and_guide(vae_or_pair)
    objective = objective if objective is not None else ELBO(analytic_kl=True)
    terms, iw, lengths, words, means, posteriors = [], [], [], [], [], []
    has_latent, au_problem, mi_problem = None, None, None
    modules = owning_modules(vae_or_pair, model, guide)
    device = parameter_device(modules)
    with evaluation_mode(modules):
        for batch in tqdm(batches, desc="evaluate", unit="batch", disable=not progress):
            batch = batch.to(device) if device is not None else batch
            if has_latent is None:
                has_latent = bool(latent_sites(guide, batch))
                try:
                    check_scores_any_point(guide)
                except UnsupportedModelError as error:
                    mi_problem = str(error)
            terms.append(_sentence_terms(objective, model, guide, batch))
            if iw_samples > 0:
                iw.append(importance_log_likelihood(model, guide, batch, num_samples=iw_samples).cpu())
            lengths.append(batch.lengths.cpu())
            words.append(batch.words.cpu())
            if has_latent and au_problem is None:
                try:
                    q = guide_posterior(guide, batch)
                except UnsupportedModelError as error:
                    au_problem = mi_problem = str(error)
                    continue
                means.append(posterior_mean(q).cpu())
                if mi_problem is None:
                    posteriors.append(q if mi_points is None else batch.to("cpu"))
        if has_latent is None:
            raise DataError("evaluate got no batches: the evaluation set is empty")
        if has_latent and not mi_problem and mi_points is not None:
            try:
                mi_subset = _subset_mutual_information(guide, posteriors, mi_points, device)
            except UnsupportedModelError as error:
                mi_problem = str(error)

    terms_all, tokens, word_counts = torch.cat(terms), torch.cat(lengths), torch.cat(words)
    if not has_latent:
        au = Estimate(0.0, None, "units", NO_LATENT_NOTE)
        mi = Estimate(0.0, None, "nats", NO_LATENT_NOTE)
    else:
        au = _active_units_estimate(means, au_problem)
        if mi_problem:
            mi = Estimate(math.nan, None, "nats", mi_problem)
        elif mi_points is None:
            try:
                mi = mutual_information(AggregatePosterior(posteriors))
            except UnsupportedModelError as error:
                mi = Estimate(math.nan, None, "nats", str(error))
        else:
            mi = mi_subset
    results = {
        "elbo": Estimate.from_samples(terms_all[:, 0], "nats/sentence"),
        "rate": Estimate.from_samples(terms_all[:, 1], "nats/sentence"),
        "distortion": Estimate.from_samples(terms_all[:, 2], "nats/sentence"),
    }
    if token_unit is None:
        token_unit = getattr(getattr(batches, "codec", None), "token_unit", "token")
    per_word = token_unit != "word" and not torch.equal(word_counts, tokens)
    exact = None
    if not iw and not has_latent:  # no latent: the ELBO is the exact log-likelihood
        iw, exact = [terms_all[:, 0]], "exact: the model has no latent variable"
    if iw:
        iw_all = torch.cat(iw)
        nll_per_token, ppl = _per_token(-iw_all, tokens, token_unit, exact)
        results |= {
            "iw_log_likelihood": Estimate.from_samples(iw_all, "nats/sentence", exact),
            "nll": Estimate.from_samples(-iw_all, "nats/sentence", exact),
            "ppl": ppl,
            "nll_per_token": nll_per_token,
        }
        if per_word:
            nll_per_word, ppl_per_word = _per_token(-iw_all, word_counts, "word", exact)
            results |= {"ppl_per_word": ppl_per_word, "nll_per_word": nll_per_word}
    else:
        note = "upper bound from -ELBO (no importance samples requested)"
        bound_per_token, ppl_bound = _per_token(-terms_all[:, 0], tokens, token_unit, note)
        results |= {"neg_elbo_per_token": bound_per_token, "ppl_bound": ppl_bound}
        if per_word:
            bound_per_word, ppl_word_bound = _per_token(-terms_all[:, 0], word_counts, "word", note)
            results |= {"neg_elbo_per_word": bound_per_word, "ppl_bound_per_word": ppl_word_bound}
    return results | {
        "active_units": au,
        "mutual_information": mi,
        "num_sentences": Estimate(float(terms_all.shape[0]), None, "sentences"),
        "num_tokens": Estimate(float(tokens.sum()), None, f"{token_unit}s"),
    } | ({"num_words": Estimate(float(word_counts.sum()), None, "words")} if per_word else {})
