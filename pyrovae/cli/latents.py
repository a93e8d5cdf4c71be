"""``pyrovae latents RUN_DIR``: aggregate-posterior samples of a run, written as safetensors."""

from __future__ import annotations

import argparse

HELP = """Encode the sentences of one split (or --data [SPLIT=]FILE) with a trained run and write, per sentence,
--per-point codes z ~ q(z|x) (samples from the aggregate posterior q(z)) with log p(z), the
sentence's rate KL(q(z|x) || p(z)) (nats per sentence) and its position in the file, plus
--prior-samples draws from the run's prior, to a safetensors file with JSON metadata (run, split,
data file, checkpoint, seed). `pyrovae analyse` reads these files without loading the model.

examples:
  pyrovae latents runs/ptb-vae                      # -> runs/ptb-vae/latents-valid.safetensors
  pyrovae latents runs/ptb-vae --split test --per-point 2 --out /tmp/ptb-vae-test.safetensors
  pyrovae latents runs/ptb-vae --data valid=ptb/valid.txt --out /tmp/ptb-vae.safetensors"""


def add_parser(commands) -> None:
    from pyrovae.cli.evaluate import add_data_options

    parser = commands.add_parser(
        "latents",
        help="write aggregate-posterior samples of a run (safetensors)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR")
    add_data_options(parser, default_split="valid")
    parser.add_argument("--out", metavar="FILE", help="output file (default: RUN_DIR/latents-SPLIT.safetensors; SPLIT is 'data' for --data PATH)")
    add_sampling_options(parser)
    parser.set_defaults(run=run)


def add_sampling_options(parser: argparse.ArgumentParser, prior_help: str = "draws from the run's prior (default: as many as codes; 0: none)") -> None:
    """``--per-point`` and ``--prior-samples`` (shared with ``analyse``)."""
    parser.add_argument("--per-point", type=int, default=1, metavar="S", help="codes drawn per sentence (default 1)")
    parser.add_argument("--prior-samples", type=int, default=None, metavar="M", help=prior_help)


def check_counts(per_point: int, prior_samples: int | None, batch_size: int | None) -> None:
    """Raise a :class:`~pyrovae.errors.ConfigError` for counts that make no sense."""
    from pyrovae.errors import ConfigError

    if per_point < 1:
        raise ConfigError(f"--per-point must be at least 1, got {per_point}")
    if prior_samples is not None and prior_samples < 0:
        raise ConfigError(f"--prior-samples must be non-negative, got {prior_samples}")
    if batch_size is not None and batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {batch_size}")


def run_data(run_dir: str, args: argparse.Namespace) -> tuple[str, str, list[str]]:
    """``(label, path, sentences)`` that ``--split``/``--data`` of ``args`` name for a run."""
    from pyrovae.cli.evaluate import evaluation_data
    from pyrovae.train.run_directory import RunDirectory

    return evaluation_data(RunDirectory(run_dir).load_config(), args.split, args.data)


def encode_run(run_dir: str, data: tuple[str, str, list[str]], args: argparse.Namespace, prior_samples: int | None):
    """:func:`pyrovae.analysis.collect.collect_run_latents` for the sentences of ``data``
    (from :func:`run_data`) with the sampling options of ``args``."""
    from pyrovae.analysis.collect import collect_run_latents
    from pyrovae.train.distributed import DistributedContext
    from pyrovae.train.trainer import resolve_device

    label, path, sentences = data
    return collect_run_latents(
        run_dir,
        sentences,
        per_point=args.per_point,
        prior_samples=prior_samples,
        batch_size=args.batch_size,
        checkpoint=args.checkpoint,
        seed=args.seed,
        device=resolve_device(args.device, DistributedContext()),
        progress=not args.no_progress,
        metadata={"split": label, "data": path},
    )


def default_path(run_dir: str, label: str):
    """Where ``pyrovae latents`` writes by default, and where ``pyrovae analyse`` looks."""
    from pathlib import Path

    return Path(run_dir) / f"latents-{label}.safetensors"


def run(args: argparse.Namespace) -> int:
    check_counts(args.per_point, args.prior_samples, args.batch_size)
    data = run_data(args.run_dir, args)
    latents = encode_run(args.run_dir, data, args, args.prior_samples)
    path = latents.save(args.out or default_path(args.run_dir, data[0]))
    prior = 0 if latents.prior is None else latents.prior.num_samples
    rate = latents.aggregate.rate
    print(
        f"wrote {latents.aggregate.num_samples} codes (D = {latents.aggregate.latent_dim}, "
        f"{args.per_point} per sentence; mean rate {float(rate.mean()):.3f} nats/sentence) and "
        f"{prior} prior draws to {path}"
    )
    return 0
