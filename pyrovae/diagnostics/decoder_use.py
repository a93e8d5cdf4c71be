r"""Does the decoder use the code? Accuracy drop and Jensen-Shannon divergence (Barkhof 2021, 4.3).

For each sentence :math:`x` (teacher forcing on its own words) the decoder's next-token
distributions :math:`P_t(\cdot \mid x_{<t}, z)` are compared for codes drawn from the posterior,
:math:`z^q_1, \dots, z^q_K \sim q(z \mid x)`, and from the prior, :math:`z^p_1, \dots, z^p_K \sim p(z)`
(``K = num_samples``; the thesis uses 5). At every predicted position :math:`t` (the words and
the end token):

* **accuracy drop**

  .. math:: \Delta_t = \frac1K \sum_k \Big(\mathbb 1[\arg\max P_t(\cdot \mid z^q_k) = x_t]
      - \mathbb 1[\arg\max P_t(\cdot \mid z^p_k) = x_t]\Big),

  how much more often the decoder's mode is the right token given the sentence's own code than
  given a code from the prior (Pelsmaeker & Aziz 2019). Its within-posterior baseline, the same
  difference between two independent posterior codes, has expectation exactly 0 by symmetry, so the
  signed difference needs no correction: a code the decoder reads but that carries nothing about
  :math:`x` gives :math:`\mathbb E[\Delta_t] = 0`.

* **Jensen-Shannon divergence**, corrected for the decoder's sensitivity to any change of code

  .. math:: \mathrm{JS}_t = \frac1K \sum_k \mathrm{JS}\big(P_t(\cdot \mid z^q_k), P_t(\cdot \mid z^p_k)\big)
      - \frac1{K-1} \sum_{k=1}^{K-1} \mathrm{JS}\big(P_t(\cdot \mid z^q_k), P_t(\cdot \mid z^q_{k+1})\big),

  in nats, :math:`\mathrm{JS}(P, Q) = \frac12 \mathrm{KL}(P \| M) + \frac12 \mathrm{KL}(Q \| M)`,
  :math:`M = \frac12 (P + Q)`. The first term (posterior against prior codes) also grows when the
  decoder merely reacts to the noise in :math:`z`; the second, between two independent posterior
  codes of the same sentence, is that within-posterior variability, subtracted as the thesis
  does ("We subtract the amount of internal variability within the 5 posterior experiments from the
  variability between the two sets"). Both terms are unbiased (each pair is independent).

Both are averaged over all predicted tokens of the set (a per-token ratio of per-sentence sums, with
the delta-method standard error over sentences), and as curves over the relative position
:math:`r = (t + \frac12) / |x|` in the sentence, in ``num_bins`` equal bins of ``[0, 1]``. A decoder
that ignores :math:`z` gives exactly 0 for both.

Cost: ``2 K`` teacher-forced decoder passes over the set, in chunks of at most
:data:`CHUNK_ELEMENTS` logits, with float64 accumulation.

References: Barkhof, "Taking a step back: assessing the TransformerVAE as a latent variable model
first" (MSc thesis, University of Amsterdam, 2021), section 4.3; Pelsmaeker & Aziz,
"Effective Estimation of Deep Generative Language Models", ACL 2020 (arXiv:1904.08194).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import torch
from tqdm.auto import tqdm

from pyrovae.diagnostics.decoding import decoder_distribution, latent_site_name
from pyrovae.errors import ConfigError, DataError
from pyrovae.metrics.aggregate_posterior import guide_posterior
from pyrovae.metrics.estimate import Estimate
from pyrovae.metrics.model_access import (
    evaluation_mode,
    model_and_guide,
    owning_modules,
    parameter_device,
)
from pyrovae.text.batch import TokenBatch

#: Most logits (sentences x positions x vocabulary) held per decoder pass.
CHUNK_ELEMENTS = 2**23


#: Log-probabilities are raised to at least this before the JS divergence, so that an impossible
#: token (``-inf``) contributes its exact limit, 0, instead of ``0 * inf``.
MIN_LOG_PROB = -1e4


def jensen_shannon(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    r"""``[...]``: :math:`\mathrm{JS}(P, Q)` in nats between categoricals given as log-probabilities
    ``[..., V]``: :math:`\frac12 \sum_v p_v (\log p_v - \log m_v) + \frac12 \sum_v q_v (\log q_v -
    \log m_v)` with :math:`\log m = \operatorname{logaddexp}(\log p, \log q) - \log 2`, accurate
    to about :math:`10^{-7}` nats per position in float32 even when :math:`P \approx Q`."""
    if not (torch.isfinite(log_p).all() and torch.isfinite(log_q).all()):
        log_p, log_q = log_p.clamp(min=MIN_LOG_PROB), log_q.clamp(min=MIN_LOG_PROB)
    log_m = torch.logaddexp(log_p, log_q) - math.log(2.0)
    return 0.5 * ((log_p.exp() * (log_p - log_m)).sum(-1) + (log_q.exp() * (log_q - log_m)).sum(-1))


@dataclass
class DecoderUse:
    """Result of :func:`decoder_use` (definitions in the module docstring).

    Attributes:
        accuracy_drop: per-token accuracy given posterior codes minus given prior codes
            (fraction of tokens, in [-1, 1]).
        js_divergence: corrected JS divergence, nats per token.
        positions: ``[bins]`` centres of the relative-position bins in [0, 1].
        accuracy_drop_curve: ``[bins]`` the accuracy drop of the tokens in each bin (NaN if none).
        js_curve: ``[bins]`` the corrected JS divergence in each bin, nats per token.
        js_between: uncorrected posterior-against-prior JS, nats per token.
        js_within: the within-posterior baseline, nats per token.
        tokens_per_bin: ``[bins]`` how many tokens fell in each bin.
    """

    accuracy_drop: Estimate
    js_divergence: Estimate
    positions: np.ndarray
    accuracy_drop_curve: np.ndarray
    js_curve: np.ndarray
    js_between: Estimate
    js_within: Estimate
    tokens_per_bin: np.ndarray

    def to_dict(self) -> dict:
        """JSON-serialisable (NaN stays NaN, as JSON's extension)."""
        return {
            "accuracy_drop": self.accuracy_drop.to_dict(),
            "js_divergence": self.js_divergence.to_dict(),
            "js_between": self.js_between.to_dict(),
            "js_within": self.js_within.to_dict(),
            "positions": self.positions.tolist(),
            "accuracy_drop_curve": self.accuracy_drop_curve.tolist(),
            "js_curve": self.js_curve.tolist(),
            "tokens_per_bin": self.tokens_per_bin.tolist(),
        }


def _token_statistics(model, guide, site: str, batch: TokenBatch, num_samples: int) -> torch.Tensor:
    """``[3, B, T]`` float64 per-token accuracy drop, JS between and JS within (0 at padding)."""
    q = guide_posterior(guide, batch, site=site)
    targets, mask = batch.targets, batch.mask
    totals = torch.zeros((3,) + targets.shape, dtype=torch.float64, device=targets.device)
    previous = None
    for _ in range(num_samples):
        posterior_tokens, _ = decoder_distribution(model, batch, site, q.sample())
        prior_tokens, _ = decoder_distribution(model, batch, site)
        log_q = torch.log_softmax(posterior_tokens.logits.float(), -1)
        log_p = torch.log_softmax(prior_tokens.logits.float(), -1)
        hits_q = (log_q.argmax(-1) == targets).double()
        hits_p = (log_p.argmax(-1) == targets).double()
        totals[0] += (hits_q - hits_p) / num_samples
        totals[1] += jensen_shannon(log_q, log_p).double() / num_samples
        if previous is not None:
            totals[2] += jensen_shannon(previous, log_q).double() / (num_samples - 1)
        previous = log_q
    return totals * mask


def _chunks(batch: TokenBatch, vocab_size: int) -> Iterable[TokenBatch]:
    rows = max(1, CHUNK_ELEMENTS // max(1, batch.targets.shape[1] * vocab_size))
    for start in range(0, batch.size, rows):
        yield batch.select(slice(start, start + rows))


@torch.no_grad()
def decoder_use(
    vae: Any,
    batches: Iterable[TokenBatch],
    *,
    num_bins: int = 10,
    num_samples: int = 5,
    progress: bool = False,
) -> DecoderUse:
    """Accuracy drop and corrected JS divergence between decodings from posterior and prior codes.

    Args:
        vae: a :class:`~pyrovae.vae.TextVAE`, any object with ``.model``/``.guide`` methods, or a
            ``(model, guide)`` pair whose model observes a :class:`~pyrovae.distributions.TokenSequence`.
            Evaluation mode during the call; batches are moved to the parameters' device.
        batches: the evaluation set (one pass).
        num_bins: bins of the relative-position curves.
        num_samples: ``K`` posterior and ``K`` prior codes per sentence (at least 2).
        progress: show a progress bar over batches.

    Raises:
        ConfigError: ``num_bins < 1`` or ``num_samples < 2``.
        DataError: no sentences.
    """
    if num_bins < 1:
        raise ConfigError(f"num_bins must be at least 1, got {num_bins}")
    if num_samples < 2:
        raise ConfigError(f"num_samples must be at least 2 (the within-posterior baseline needs a pair), got {num_samples}")
    model, guide = model_and_guide(vae)
    modules = owning_modules(vae, model, guide)
    device = parameter_device(modules)
    per_sentence, lengths = [], []
    bin_sums = torch.zeros(3, num_bins, dtype=torch.float64)
    bin_counts = torch.zeros(num_bins, dtype=torch.float64)
    site, vocab_size = None, None
    with evaluation_mode(modules):
        for batch in tqdm(batches, desc="decoder use", unit="batch", disable=not progress):
            batch = batch.to(device) if device is not None else batch
            if site is None:
                site = latent_site_name(guide, batch)
                vocab_size = decoder_distribution(model, batch.select(slice(0, 1)), site)[0].logits.shape[-1]
            for chunk in _chunks(batch, vocab_size):
                stats = _token_statistics(model, guide, site, chunk, num_samples).cpu()
                mask = chunk.mask.cpu()
                per_sentence.append(stats.sum(-1))  # [3, b]
                lengths.append(chunk.lengths.cpu())
                positions = torch.arange(mask.shape[1], dtype=torch.float64)
                relative = (positions + 0.5) / chunk.lengths.cpu().double().unsqueeze(-1)
                bins = (relative * num_bins).long().clamp(max=num_bins - 1)[mask]
                bin_counts += torch.bincount(bins, minlength=num_bins).double()
                for i in range(3):
                    bin_sums[i] += torch.bincount(bins, weights=stats[i][mask], minlength=num_bins)
    if site is None:
        raise DataError("decoder_use got no batches: the evaluation set is empty")
    sums, tokens = torch.cat(per_sentence, dim=1), torch.cat(lengths)
    drop = Estimate.from_ratio(sums[0], tokens, "accuracy/token", "posterior codes minus prior codes")
    between = Estimate.from_ratio(sums[1], tokens, "nats/token", "posterior against prior codes")
    within = Estimate.from_ratio(sums[2], tokens, "nats/token", "two posterior codes of the same sentence")
    js = Estimate.from_ratio(sums[1] - sums[2], tokens, "nats/token", "between minus within-posterior JS")
    curves = (bin_sums / bin_counts).numpy()  # NaN in empty bins
    return DecoderUse(
        accuracy_drop=drop,
        js_divergence=js,
        positions=(np.arange(num_bins) + 0.5) / num_bins,
        accuracy_drop_curve=curves[0],
        js_curve=curves[1] - curves[2],
        js_between=between,
        js_within=within,
        tokens_per_bin=bin_counts.numpy().astype(int),
    )
