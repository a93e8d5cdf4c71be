"""``pyrovae evaluate RUN_DIR``: all scalar metrics of a trained run on one split."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Callable

HELP = """Evaluate the best checkpoint of a run. The standard report: ELBO, rate and distortion (nats
per sentence), importance-weighted log-likelihood and NLL (nats per sentence), perplexity (per
token: words plus one end-of-sentence token), active units and mutual information I(x;z) (nats).
Then, unless --skip leaves them out: the aggregate-posterior diagnostics (marginal KL, index-code
MI, total correlation, log det Cov, squared mean norm, moment-matched KL, MMD, KS; `latent`), the
decoder's use of z (accuracy drop and JS divergence between posterior and prior codes;
`decoder-use`), BLEU-2/4 and ROUGE-2/4 of greedy reconstructions overall and by length bucket
(`reconstruction`), and self-BLEU of --num-generated sentences decoded from the prior
(`generation`, decoded with --decode). --minimal-pairs adds the syntactic minimal-pairs scores.
Estimates carry a standard error where one is defined. Prints a table and writes
RUN_DIR/eval-SPLIT.json (or --out). Like diagnose, compare, latents and analyse it reads the
validation split unless --split test (or --data) says otherwise: model selection and diagnostics on
held-out validation text, the test set only when asked for."""

def add_parser(commands) -> None:
    from pyrovae.cli.decoding_options import add_decoding_options

    parser = commands.add_parser("evaluate", help="all scalar metrics of a trained run", description=HELP)
    parser.add_argument("run_dir", metavar="RUN_DIR")
    add_data_options(parser, default_split="valid")
    parser.add_argument("--iw-samples", type=int, default=500, metavar="K", help="importance samples per sentence (default 500, as He et al. 2019 and Barkhof 2021; estimator of Burda et al. 2016); 0 reports the -ELBO bound instead")
    parser.add_argument("--skip", nargs="+", default=[], metavar="PART", help=f"leave out parts of the report: {', '.join(PARTS)}")
    parser.add_argument("--num-generated", type=int, default=1000, metavar="N", help="sentences decoded from the prior for self-BLEU (default 1000)")
    parser.add_argument("--minimal-pairs", metavar="FILE.tsv", help="score syntactic minimal pairs from this TSV file")
    parser.add_argument("--out", metavar="FILE.json", help="write the metrics here instead of RUN_DIR/eval-SPLIT.json")
    add_decoding_options(parser)
    parser.set_defaults(run=run)


def add_data_options(parser: argparse.ArgumentParser, default_split: str) -> None:
    """``--split``, ``--data``, ``--batch-size``, ``--checkpoint``, ``--seed``, ``--device`` and
    ``--no-progress``: which sentences and weights a command evaluates (shared with ``diagnose``)."""
    parser.add_argument("--split", default=default_split, choices=["train", "valid", "test"], help=f"which of the run's data files (default: {default_split})")
    parser.add_argument("--data", metavar="[SPLIT=]PATH", help="evaluate on this text file instead of the run's split; SPLIT= names it in reports (e.g. valid=ptb/valid.txt)")
    parser.add_argument("--batch-size", type=int, default=None, help="sentences per evaluation batch (default: the run's eval_batch_size)")
    parser.add_argument("--checkpoint", default="best", choices=["best", "latest"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def evaluation_data(config, split: str, data: str | None) -> tuple[str, str, list[str]]:
    """``(label, path, sentences)`` of the evaluation set: the ``split`` file of the run's
    ``config``, or ``data``.

    ``data`` is ``PATH`` (labelled ``data``) or ``SPLIT=PATH`` (labelled ``SPLIT``). A hub
    dataset ``hf:...`` gives its training split.

    Raises:
        ConfigError: the run has no such split and no ``data`` was given.
        DataError: the file is missing, empty or undecodable.
    """
    from pyrovae.cli.options import DATA_SPLITS
    from pyrovae.data import load_splits, read_text_file
    from pyrovae.errors import ConfigError

    label, path = split, getattr(config, split)
    if data:
        name, sep, rest = data.partition("=")
        label, path = (name, rest) if sep and name in DATA_SPLITS else ("data", data)
    if path is None:
        raise ConfigError(f"the run has no {split} data: pass --data PATH")
    sentences = load_splits(path).train if str(path).startswith("hf:") else read_text_file(path)
    return label, str(path), sentences


@dataclass
class EvaluationSet:
    """A run's model and the sentences a command evaluates it on."""

    run_dir: Any  # pyrovae.train.run_directory.RunDirectory
    config: Any  # pyrovae.train.config.RunConfig
    model: Any
    codec: Any  # pyrovae.text.TextCodec
    dataset: Any  # pyrovae.data.SentenceDataset
    label: str  #: the split name, or "data" for an unnamed --data file
    path: str
    batch_size: int

    def batches(self):
        """One pass over the set: length-bucketed batches, in the same order every time."""
        from pyrovae.data.batching import FixedBatches

        return FixedBatches(self.dataset, self.batch_size)


def load_evaluation_set(args: argparse.Namespace) -> EvaluationSet:
    """The model and data that the options of :func:`add_data_options` name, after checking
    them; ``pyro`` is seeded with ``--seed``."""
    import pyro

    from pyrovae.data import SentenceDataset
    from pyrovae.errors import ConfigError
    from pyrovae.train.distributed import DistributedContext
    from pyrovae.train.run_directory import RunDirectory
    from pyrovae.train.trainer import resolve_device

    if args.batch_size is not None and args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    run_dir = RunDirectory(args.run_dir)
    config = run_dir.load_config()
    label, path, sentences = evaluation_data(config, args.split, args.data)
    device = resolve_device(args.device, DistributedContext())
    model, codec, _ = run_dir.load_model(args.checkpoint, device=device)
    dataset = SentenceDataset(sentences, codec)
    pyro.set_rng_seed(args.seed)
    batch_size = config.eval_batch_size if args.batch_size is None else args.batch_size
    return EvaluationSet(run_dir, config, model, codec, dataset, label, path, batch_size)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pyrovae.cli.decoding_options import decoding_strategy
    from pyrovae.cli.final_evaluation import rate_split
    from pyrovae.cli.metric_files import write_json
    from pyrovae.cli.table import format_table
    from pyrovae.errors import ConfigError
    from pyrovae.metrics import evaluate

    if args.iw_samples < 0:
        raise ConfigError(f"--iw-samples must be 0 (no importance sampling) or more, got {args.iw_samples}")
    unknown = sorted(set(args.skip) - set(PARTS))
    if unknown:
        raise ConfigError(f"--skip got unknown part(s) {', '.join(unknown)}: choose from {', '.join(PARTS)}")
    if args.num_generated < 2 and "generation" not in args.skip:
        raise ConfigError(f"--num-generated must be at least 2 (self-BLEU compares sentences with each other), got {args.num_generated}")
    choose = decoding_strategy(args)
    pairs = None
    if args.minimal_pairs:
        from pyrovae.diagnostics import read_minimal_pairs

        pairs = read_minimal_pairs(args.minimal_pairs)
    data = load_evaluation_set(args)
    progress = not args.no_progress
    metrics = evaluate(data.model, data.batches(), iw_samples=args.iw_samples, progress=progress, mi_points=data.config.eval_mi_points)
    context = _PartContext(data, progress, choose, args.max_length, args.num_generated)
    for part in PARTS:
        if part not in args.skip:
            for name, value in _part_metrics(part, context).items():
                metrics.setdefault(name, value)
    if pairs is not None:
        from pyrovae.diagnostics import minimal_pairs

        metrics |= _minimal_pair_metrics(minimal_pairs(data.model, data.codec, pairs))
    title = data.label if not args.data else f"{data.label}: {data.path}"
    print(format_table(f"{title} ({data.run_dir.path})", metrics))
    split_line = rate_split(metrics)
    if split_line:
        print(split_line)
    out = Path(args.out) if args.out else data.run_dir.path / f"eval-{data.label}.json"
    write_json(out, {"split": data.label, "data": data.path, **metrics})
    print(f"wrote {out}")
    return 0


@dataclass
class _PartContext:
    """What the parts of the report need."""

    data: EvaluationSet
    progress: bool
    choose: Callable
    max_length: int
    num_generated: int

    @property
    def has_latent(self) -> bool:
        return bool(getattr(self.data.model, "latent_dim", 0))


def _latent(context: _PartContext) -> dict:
    from pyrovae.diagnostics import diagnose_latents

    if not context.has_latent:
        return {}
    return diagnose_latents(context.data.model, context.data.batches(), progress=context.progress).scalars


def _decoder_use(context: _PartContext) -> dict:
    from pyrovae.diagnostics import decoder_use

    if not context.has_latent:
        return {}
    use = decoder_use(context.data.model, context.data.batches(), progress=context.progress)
    return {"accuracy_drop": use.accuracy_drop, "js_divergence": use.js_divergence}


#: Units of the reconstruction scores (percentages, see :mod:`pyrovae.diagnostics.overlap`).
_SCORE_UNITS = {"bleu2": "% BLEU-2", "bleu4": "% BLEU-4", "rouge2": "% ROUGE-2 F", "rouge4": "% ROUGE-4 F"}


def _reconstruction(context: _PartContext) -> dict:
    import math

    from pyrovae.diagnostics import reconstruction_scores
    from pyrovae.generation import SentenceGenerator, greedy
    from pyrovae.metrics import Estimate

    generator = SentenceGenerator(context.data.model, context.data.codec, greedy, context.max_length, context.progress)
    hypotheses, references = generator.reconstruct_corpus(context.data.batches())
    metrics = {}
    for bucket, scores in reconstruction_scores(hypotheses, references).items():
        suffix = "" if bucket == "all" else f"[{bucket} words]"
        codes = "the posterior means" if context.has_latent else "no code (the model has no latent variable)"
        note = f"greedy decodings of {codes}, {scores['count']} sentences"
        for name, unit in _SCORE_UNITS.items():
            value = scores[name]
            metrics[f"reconstruction.{name}{suffix}"] = Estimate(math.nan if value is None else value, None, unit, note)
    return metrics


def _generation(context: _PartContext) -> dict:
    from pyrovae.diagnostics import self_bleu
    from pyrovae.generation import SentenceGenerator, describe
    from pyrovae.metrics import Estimate

    generator = SentenceGenerator(context.data.model, context.data.codec, context.choose, context.max_length, context.progress)
    sentences = generator.from_prior(context.num_generated)
    note = f"{len(sentences)} {describe(context.choose)} decodings of z ~ p(z)"
    return {"self_bleu4": Estimate(self_bleu(sentences, max_order=4), None, "% BLEU-4", note)}


_PART_METRICS: dict[str, Callable[[_PartContext], dict]] = {
    "latent": _latent,
    "decoder-use": _decoder_use,
    "reconstruction": _reconstruction,
    "generation": _generation,
}

def _part_metrics(part: str, context: _PartContext) -> dict:
    """A part's figures, or one row saying why the model does not support it (e.g. a latent
    that is a set of vectors has no aggregate posterior over R^D)."""
    from pyrovae.errors import UnsupportedModelError
    from pyrovae.metrics import Estimate

    try:
        return _PART_METRICS[part](context)
    except UnsupportedModelError as error:
        return {part: Estimate(float("nan"), None, "", f"not computed: {error}")}


#: Parts of the report that --skip can leave out, in the order they are computed.
PARTS = tuple(_PART_METRICS)


def _minimal_pair_metrics(result: dict) -> dict:
    """Flat rows ``minimal_pairs.p1``, ``minimal_pairs[CATEGORY].p1``, ... of
    :func:`pyrovae.diagnostics.minimal_pairs`."""
    from pyrovae.metrics import Estimate

    def rows(prefix: str, scores: dict) -> dict:
        return {f"{prefix}.{name}": value if isinstance(value, Estimate) else Estimate(float(value), None, "pairs") for name, value in scores.items()}

    metrics = rows("minimal_pairs", result["overall"])
    for category, scores in result["categories"].items():
        metrics |= rows(f"minimal_pairs[{category}]", scores)
    metrics["minimal_pairs.pairs_with_unknown_words"] = Estimate(float(result["pairs_with_unknown_words"]), None, "pairs")
    return metrics
