r"""Drawing aggregate-posterior samples (and prior draws) from a trained model.

For every sentence :math:`x_n` of an evaluation set, :func:`sample_latents` draws ``per_point``
codes :math:`z \sim q(z \mid x_n)` (ancestral sampling from the aggregate posterior
:math:`q(z) = \frac1N \sum_n q(z \mid x_n)`; Barkhof 2021, section 4.2.1) with the sentence's rate
:math:`\mathrm{KL}(q(z \mid x_n)\,\|\,p(z))` (nats per sentence), both from
:meth:`pyrovae.diagnostics.latent_sample.LatentSample.collect`, and adds the prior's
:math:`\log p(z)` (and per-dimension :math:`\log p_d(z_d)` when the prior factorises).
:func:`collect_run_latents` does it for a trained run directory and adds draws from the run's
prior and a description of where the codes came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import pyro
import torch

from pyrovae.analysis.samples import LatentSamples, RunLatents
from pyrovae.errors import DataError, UnsupportedModelError
from pyrovae.infer.rate_distortion import univariate_factor


def _prior_log_densities(prior, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``log p(z) [N]`` and, when the prior factorises over dimensions, ``[N, D]``."""
    factor = univariate_factor(prior)
    per_dim = None if factor is None else factor.log_prob(z)
    return prior.log_prob(z), per_dim


def _with_prior(z: torch.Tensor, prior, **fields) -> LatentSamples:
    log_prior, per_dim = _prior_log_densities(prior, z)
    return LatentSamples(
        z.float().cpu(), log_prior.float().cpu(), None if per_dim is None else per_dim.float().cpu(), **fields
    )


@torch.no_grad()
def sample_latents(vae: Any, batches: Iterable, per_point: int = 1, progress: bool = False) -> LatentSamples:
    """Codes of every sentence of ``batches`` with ``log p(z)``, per-dimension ``log p_d`` (when
    the prior factorises), rates, and sentence indices (``batch.index``, where every batch has one).

    Args:
        vae: a :class:`~pyrovae.vae.TextVAE` (anything with ``guide`` and ``prior()``).
        batches: the sentences (e.g. :class:`pyrovae.data.FixedBatches`).
        per_point: codes drawn per sentence; each sentence's draws are consecutive rows. Random
            state: torch's global generator (seed it with ``pyro.set_rng_seed``).

    Raises:
        DataError: fewer than 2 sentences.
        UnsupportedModelError: no ``prior()``, or not exactly one vector latent site.
    """
    from pyrovae.diagnostics.latent_sample import LatentSample

    if per_point < 1:
        raise DataError(f"per_point must be at least 1, got {per_point}")
    batches = list(batches)
    draws = [LatentSample.collect(vae, batches, progress=progress and s == 0) for s in range(per_point)]
    z = torch.stack([draw.codes for draw in draws], 1).flatten(0, 1)  # [N * per_point, D]
    rate = torch.stack([draw.rates for draw in draws], 1).flatten(0, 1)
    indices = [getattr(batch, "index", None) for batch in batches]
    sentence = None
    if all(index is not None for index in indices):
        sentence = torch.cat([index.cpu() for index in indices]).repeat_interleave(per_point)
    return _with_prior(z, draws[0].prior, rate=rate.float().cpu(), sentence=sentence)


@torch.no_grad()
def sample_prior(prior: torch.distributions.Distribution, num_samples: int) -> LatentSamples:
    """``num_samples`` draws from ``prior`` (event shape ``[D]``) with their log densities."""
    if num_samples < 1:
        raise DataError(f"the number of prior samples must be at least 1, got {num_samples}")
    if len(prior.event_shape) != 1:
        raise UnsupportedModelError(f"the prior must have event shape [D], got {tuple(prior.event_shape)}")
    return _with_prior(prior.sample((num_samples,)), prior)


def collect_run_latents(
    run_dir: str | Path,
    sentences: Sequence[str],
    per_point: int = 1,
    prior_samples: int | None = None,
    batch_size: int | None = None,
    checkpoint: str = "best",
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = False,
    metadata: dict[str, Any] | None = None,
) -> RunLatents:
    """Codes of ``sentences`` under a trained run's encoder, and draws from its prior.

    Args:
        run_dir: a run directory written by ``pyrovae fit``.
        sentences: the sentences to encode (with the run's codec; empty ones are left out).
        per_point: codes per sentence.
        prior_samples: draws from the run's prior (default: as many as codes; 0: none).
        batch_size: sentences per batch (default: the run's ``eval_batch_size``).
        checkpoint: ``best`` or ``latest``.
        seed: seeds the draws (``pyro.set_rng_seed``).
        metadata: extra entries for the file's metadata (e.g. the split and data file).

    Raises:
        CheckpointError: not a run directory. DataError: no usable sentence.
        UnsupportedModelError: the model has no ``prior()`` or not exactly one latent site.
    """
    from pyrovae.data import FixedBatches, SentenceDataset
    from pyrovae.diagnostics.latent_sample import model_prior
    from pyrovae.train.run_directory import RunDirectory

    run = RunDirectory(run_dir)
    model, codec, config = run.load_model(checkpoint, device=device)
    dataset = SentenceDataset(list(sentences), codec)
    loader = FixedBatches(dataset, batch_size or config.eval_batch_size)
    pyro.set_rng_seed(seed)
    aggregate = sample_latents(model, loader, per_point, progress)
    if aggregate.sentence is not None:
        aggregate.sentence = torch.tensor(dataset.source_index, dtype=torch.long)[aggregate.sentence]
    num_prior = aggregate.num_samples if prior_samples is None else prior_samples
    prior = sample_prior(model_prior(model), num_prior) if num_prior else None
    description = {
        "run": str(run.path.resolve()),
        "name": run.path.resolve().name,
        "checkpoint": checkpoint,
        "per_point": per_point,
        "seed": seed,
        "num_sentences": len(dataset),
        "prior": repr(getattr(model, "prior", None)),
        "rate_unit": "nats/sentence",
        "model": config.model,
        "objective": config.objective,
        "objective_options": config.objective_options,
    }
    return RunLatents(aggregate, prior, {**description, **(metadata or {})})
