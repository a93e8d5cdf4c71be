r"""``SentenceGenerator``: sentences from a trained model's codes, as text.

Three sources of codes (Bowman et al. 2016; Prokhorov et al. 2019):

* the prior, :math:`z \sim p(z)`: what the model generates;
* the posterior of a given sentence, :math:`z \sim q(z \mid x)`: what the model considers
  variations of it;
* the posterior mean :math:`\mathbb{E}_{q(z \mid x)}[z]` (the mean of 256 draws for posteriors
  without a closed-form mean, :func:`pyrovae.metrics.posterior_mean`): its decoding is the
  *reconstruction* of ``x``.

Each code is decoded with a ``choose`` strategy (:mod:`pyrovae.generation.decoding`, greedy by
default). A model without latent variable (:class:`pyrovae.LanguageModel`, ``latent_dim = 0``)
generates without codes: its "reconstructions" ignore the input, the baseline a collapsed VAE
falls to.

References: Bowman et al., "Generating Sentences from a Continuous Space" (arXiv:1511.06349);
Prokhorov et al. (arXiv:1909.13668).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from tqdm.auto import tqdm

from pyrovae.errors import ConfigError, DataError, UnsupportedModelError
from pyrovae.generation.decoding import TokenChooser, greedy
from pyrovae.metrics.active_units import posterior_mean
from pyrovae.text.batch import TokenBatch
from pyrovae.text.codec import TextCodec

#: Codes decoded at once (bounds the memory of the ``[N, V]`` logits).
DECODE_CHUNK = 256


class SentenceGenerator:
    """Decode codes of ``model`` into sentences, through the run's ``codec``.

    Args:
        model: a :class:`~pyrovae.vae.TextVAE` or :class:`~pyrovae.LanguageModel` (anything with
            ``latent_dim`` and ``decode(z, bos_id, eos_id, max_length=, choose=, num_sequences=)``;
            codes come from ``model.prior()`` and ``model.posterior_distribution(batch)``). Put it
            in evaluation mode first (``RunDirectory.load_model`` does).
        codec: the codec the model was trained with (:class:`~pyrovae.text.TextCodec`).
        choose: the decoding strategy.
        max_length: the most tokens generated per sentence (``<eos>`` excluded).
        progress: show progress bars over long decodings and corpora.

    Raises:
        UnsupportedModelError: the model cannot decode.
        ConfigError: ``max_length < 1``.
    """

    def __init__(
        self, model: Any, codec: TextCodec, choose: TokenChooser = greedy, max_length: int = 50, progress: bool = False
    ) -> None:
        if not callable(getattr(model, "decode", None)):
            raise UnsupportedModelError(
                f"{type(model).__name__} has no decode(z, bos_id, eos_id, ...) method, so it cannot generate text; "
                "use a TextVAE or LanguageModel"
            )
        if max_length < 1:
            raise ConfigError(f"max_length must be at least 1 token, got {max_length}")
        self.model = model
        self.codec = codec
        self.choose = choose
        self.max_length = max_length
        self.progress = progress

    @property
    def has_latent(self) -> bool:
        return bool(getattr(self.model, "latent_dim", 0))

    @property
    def device(self) -> torch.device:
        return next(iter(self.model.parameters())).device

    # ------------------------------------------------------------------------------------ codes

    def prior_codes(self, num: int) -> torch.Tensor | None:
        """``[num, D]`` draws from ``p(z)``, or None for a model without latent variable."""
        if not self.has_latent:
            return None
        return self.model.prior().sample(torch.Size([num]))

    def posterior_codes(self, sentences: Sequence[str] | TokenBatch, num_samples: int | None = None) -> torch.Tensor:
        """Codes of ``sentences``: their posterior means ``[N, D]`` when ``num_samples`` is None,
        else ``[num_samples, N, D]`` draws from ``q(z | x_n)``.

        Raises:
            UnsupportedModelError: the model has no latent variable.
            DataError: a sentence has no word.
        """
        if not self.has_latent:
            raise UnsupportedModelError(
                f"{type(self.model).__name__} has no latent variable: there is no posterior to encode sentences with"
            )
        batch = sentences if isinstance(sentences, TokenBatch) else self.codec.batch(sentences)
        with torch.no_grad():
            posterior = self.model.posterior_distribution(batch.to(self.device))
            if num_samples is None:
                return posterior_mean(posterior)
            return posterior.sample(torch.Size([num_samples]))

    # ----------------------------------------------------------------------------------- decoding

    def decode(self, z: torch.Tensor | None, num: int | None = None, max_length: int | None = None) -> list[str]:
        """Sentences decoded from codes ``z [N, D]`` (or ``num`` sentences without a code)."""
        count = z.shape[0] if z is not None else int(num or 1)
        sentences: list[str] = []
        chunks = range(0, count, DECODE_CHUNK)
        for start in tqdm(chunks, desc="decode", unit="chunk", disable=not self.progress or len(chunks) < 2):
            size = min(DECODE_CHUNK, count - start)
            codes = z[start : start + size].to(self.device) if z is not None else None
            ids = self.model.decode(
                codes,
                self.codec.bos_id,
                self.codec.eos_id,
                max_length=max_length or self.max_length,
                choose=self.choose,
                num_sequences=size,
            )
            sentences.extend(self.codec.decode(seq) for seq in ids)
        return sentences

    def from_prior(self, num: int) -> list[str]:
        """``num`` sentences decoded from ``z ~ p(z)`` (unconditional samples without latent)."""
        return self.decode(self.prior_codes(num), num=num)

    def from_posterior(self, sentences: Sequence[str], num_samples: int) -> list[list[str]]:
        """For each sentence, ``num_samples`` decodings of ``z ~ q(z | x)``."""
        codes = self.posterior_codes(sentences, num_samples)  # [S, N, D]
        decoded = self.decode(codes.transpose(0, 1).reshape(-1, codes.shape[-1]))
        return [decoded[i * num_samples : (i + 1) * num_samples] for i in range(len(sentences))]

    def reconstruct(self, sentences: Sequence[str] | TokenBatch, max_length: int | None = None) -> list[str]:
        """Decodings of the posterior means of ``sentences`` (the input is ignored without latent)."""
        if not self.has_latent:
            count = sentences.size if isinstance(sentences, TokenBatch) else len(sentences)
            return self.decode(None, num=count, max_length=max_length)
        return self.decode(self.posterior_codes(sentences), max_length=max_length)

    def reconstruct_corpus(self, batches: Iterable[TokenBatch]) -> tuple[list[str], list[str]]:
        """Reconstructions and references of every sentence in ``batches``, in batch order.

        Each batch is decoded for at most twice its longest sentence (in predicted tokens) or
        ``max_length``, whichever is larger, so long references are not cut short.

        Returns:
            ``(hypotheses, references)``, both whitespace-joined words (``<unk>`` written out).
        """
        hypotheses: list[str] = []
        references: list[str] = []
        for batch in tqdm(batches, desc="reconstruct", unit="batch", disable=not self.progress):
            references.extend(self.codec.decode(row) for row in batch.targets)
            limit = max(self.max_length, 2 * int(batch.lengths.max()))
            hypotheses.extend(self.reconstruct(batch, max_length=limit))
        if not references:
            raise DataError("no sentences to reconstruct: the evaluation set is empty")
        return hypotheses, references
