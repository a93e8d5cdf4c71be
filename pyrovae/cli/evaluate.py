"""``pyrovae evaluate RUN_DIR``: all scalar metrics of a trained run on one split."""

from __future__ import annotations

import argparse

HELP = """Evaluate the best checkpoint of a run: ELBO, rate and distortion (nats per sentence),
importance-weighted log-likelihood and NLL (nats per sentence), perplexity (per token: words plus
one end-of-sentence token), active units and mutual information I(x;z) (nats). Estimates carry a
standard error. Prints a table and writes RUN_DIR/eval-SPLIT.json."""


def add_parser(commands) -> None:
    parser = commands.add_parser("evaluate", help="metrics of a trained run", description=HELP)
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--split", default="test", choices=["train", "valid", "test"], help="which of the run's data files (default: test)")
    parser.add_argument("--data", metavar="PATH", help="evaluate on this text file instead of the run's split")
    parser.add_argument("--iw-samples", type=int, default=500, metavar="K", help="importance samples per sentence (default 500; Burda et al. 2016)")
    parser.add_argument("--batch-size", type=int, default=None, help="sentences per evaluation batch")
    parser.add_argument("--checkpoint", default="best", choices=["best", "latest"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pyro

    from pyrovae.cli.final_evaluation import evaluate_split, report
    from pyrovae.data import SentenceDataset, read_text_file
    from pyrovae.errors import ConfigError
    from pyrovae.train.distributed import DistributedContext
    from pyrovae.train.run_directory import RunDirectory
    from pyrovae.train.trainer import resolve_device

    if args.batch_size is not None and args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.iw_samples < 1:
        raise ConfigError(f"--iw-samples must be at least 1, got {args.iw_samples}")
    run_dir = RunDirectory(args.run_dir)
    config = run_dir.load_config()
    path = args.data or getattr(config, args.split)
    if path is None:
        raise ConfigError(f"the run has no {args.split} data: pass --data PATH")
    device = resolve_device(args.device, DistributedContext())
    model, vocab, _ = run_dir.load_model(args.checkpoint, device=device)
    sentences = _sentences(path)
    dataset = SentenceDataset(sentences, vocab)
    pyro.set_rng_seed(args.seed)
    metrics = evaluate_split(model, vocab, dataset, config.eval_batch_size if args.batch_size is None else args.batch_size, args.iw_samples, not args.no_progress)
    report(run_dir, args.split if not args.data else str(path), metrics, f"eval-{args.split if not args.data else 'data'}.json")
    return 0


def _sentences(path: str) -> list[str]:
    from pyrovae.data import load_splits, read_text_file

    if path.startswith("hf:"):
        return load_splits(path).train
    return read_text_file(path)
