"""The workload the benchmarks time: the LSTM VAE of ``models/lstm_vae.py`` taking the trainer's step.

* the model is built from the model file through the library's loader
  (:func:`pyrovae.model_file.load_model_file`, ``ModelFile.build_model``), as ``pyrovae fit``
  builds it, at the sizes of :data:`SIZES` (a CPU-sized default and a ``--small`` smoke size);
* the batches are length-bucketed batches of a corpus (``make_loader``, as training reads them),
  full batches only so that every block does the same work (:func:`load_corpus`);
* the step is what :class:`pyrovae.train.Trainer` runs per batch without its logging
  (:func:`train_step`): ``VAELoss(vae, objective)(batch)``, backward, gradient clipping of the
  model and guide, Adam, ``zero_grad``, ``objective.advance(terms)``;
* :func:`compare_training_steps` times that step for several settings of pyrovae (objectives,
  posteriors, priors) against one of them, with the harness's interleaved blocks.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness
import pyro
import torch

from pyrovae.data import SentenceDataset, default_corpus, make_loader, read_text_file
from pyrovae.model_file import load_model_file
from pyrovae.text import TokenBatch, Vocabulary
from pyrovae.train.loss_module import VAELoss
from pyrovae.vae import TextVAE

REPO = Path(__file__).resolve().parent.parent
MODEL_FILE = REPO / "models" / "lstm_vae.py"

#: Model sizes and batch size of a full run (CPU-sized) and of ``--small``.
SIZES = {
    "default": {"embed_dim": 256, "hidden_dim": 256, "latent_dim": 32, "batch_size": 32},
    "small": {"embed_dim": 32, "hidden_dim": 32, "latent_dim": 8, "batch_size": 8},
}
#: Defaults of the benchmarks built on :func:`compare_training_steps`: the sizes and 5 blocks of 10 steps.
COMPARISON_PRESETS = {preset: {**sizes, "steps": 10, "repeats": 5} for preset, sizes in SIZES.items()}
GRAD_CLIP = 5.0  # RunConfig.grad_clip default
LR = 1e-3  # RunConfig.lr default
MAX_VOCAB = 20000  # vocabulary size cap
MAX_LENGTH = 60  # longest sentence kept (words)


@dataclass
class Corpus:
    """The benchmark's text: where it came from, its vocabulary and dataset, and the batches timed."""

    path: Path
    codec: Vocabulary
    dataset: SentenceDataset
    batches: list[TokenBatch]

    def describe(self) -> str:
        """The corpus file relative to the repository (or as given), for result files."""
        try:
            return str(self.path.resolve().relative_to(REPO))
        except ValueError:
            return str(self.path)


def load_corpus(
    path: Path | None,
    batch_size: int,
    count: int,
    device: torch.device,
    seed: int = 0,
    max_vocab: int = MAX_VOCAB,
    max_length: int = MAX_LENGTH,
) -> Corpus:
    """At least ``count`` full batches of ``batch_size`` sentences of ``path`` (default: the bundled
    training split) in training order, repeated if the corpus has fewer, on ``device``."""
    path = Path(path or default_corpus()["train"])
    sentences = read_text_file(path)
    codec = Vocabulary.build(sentences, max_size=max_vocab)
    dataset = SentenceDataset(sentences, codec, max_length=max_length)
    loader = make_loader(dataset, batch_size, shuffle=True, seed=seed)
    batches = [b for b in loader if b.size == batch_size]
    batches = (batches * math.ceil(count / len(batches)))[: max(count, len(batches))]
    return Corpus(path, codec, dataset, [b.to(device) for b in batches])


def model_sizes(args: argparse.Namespace) -> dict[str, int]:
    """``embed_dim``, ``hidden_dim`` and ``latent_dim`` of the parsed options (filled from :data:`SIZES`)."""
    return {key: getattr(args, key) for key in ("embed_dim", "hidden_dim", "latent_dim")}


def build_vae(codec: Vocabulary, sizes: dict[str, int], **options: Any) -> TextVAE:
    """The model of ``models/lstm_vae.py`` for ``codec``, with ``sizes`` and other model options."""
    return load_model_file(MODEL_FILE).build_model(codec, {**sizes, **options})


def train_step(loss_module: VAELoss, optimizer: torch.optim.Optimizer, batch: TokenBatch) -> None:
    """One training step as the trainer takes it (without its logging and finiteness checks)."""
    loss, terms = loss_module(batch)
    loss.backward()
    # the trainer clips model and guide only (an objective's multipliers stay out of the norm)
    torch.nn.utils.clip_grad_norm_(loss_module.vae.parameters(), GRAD_CLIP)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    loss_module.objective.advance(terms)


def training_block(loss_module: VAELoss, optimizer: torch.optim.Optimizer, batches: list[TokenBatch]) -> Callable[[], None]:
    """A runner taking one :func:`train_step` per batch, under the current Pyro validation setting."""

    def block() -> None:
        for batch in batches:
            train_step(loss_module, optimizer, batch)

    return block


def without_validation(runner: Callable[[], None]) -> Callable[[], None]:
    """``runner`` under ``pyro.validation_enabled(False)`` (Pyro's and torch's argument checks off),
    as the trainer runs every batch after the first."""

    def block() -> None:
        with pyro.validation_enabled(False):
            runner()

    return block


def compare_training_steps(
    loss_modules: Mapping[str, VAELoss], batches: list[TokenBatch], repeats: int, reference: str, device: torch.device
) -> dict[str, dict[str, Any]]:
    """Blocks of one training step per batch for every setting (each with its own Adam, one untimed
    warm-up block, validation off as the trainer runs after its first batch), interleaved
    ``repeats`` times; medians and ratios to the ``reference`` setting (:func:`harness.summarise`)."""
    runners = {}
    for label, loss_module in loss_modules.items():
        optimizer = torch.optim.Adam(loss_module.parameters(), lr=LR)
        runners[label] = without_validation(training_block(loss_module, optimizer, batches))
        runners[label]()  # warm-up
    return harness.summarise(harness.interleaved(runners, repeats, device), reference, {"step": len(batches)})
