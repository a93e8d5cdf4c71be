"""``pyrovae sample RUN_DIR``: sentences decoded from prior or posterior samples, and reconstructions."""

from __future__ import annotations

import argparse

HELP = """Decode codes z ~ p(z) (--from prior, the default) or z ~ q(z | x) of the --reconstruct
sentences (--from posterior), with greedy, ancestral, top-k or nucleus decoding; and reconstruct
the --reconstruct sentences (decoding of the posterior mean, or of the mean of 256 posterior draws
where the posterior has no closed-form mean). Sentences are encoded with the run's codec (for the
word-level default: split on whitespace, words outside the vocabulary become <unk>). A language model (no latent variable) samples unconditionally."""


def add_parser(commands) -> None:
    from pyrovae.cli.decoding_options import add_decoding_options

    parser = commands.add_parser("sample", help="decode prior or posterior samples, reconstruct sentences", description=HELP)
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--num", type=int, default=10, help="codes to decode: from the prior, or per sentence from the posterior (default 10)")
    parser.add_argument("--from", dest="source", default="prior", metavar="{prior,posterior}", help="where the --num codes come from (default prior)")
    parser.add_argument("--reconstruct", nargs="+", default=[], metavar="SENTENCE", help="sentences to reconstruct (and to encode with --from posterior)")
    add_decoding_options(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", default="best", choices=["best", "latest"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pyro

    from pyrovae.cli.decoding_options import decoding_strategy
    from pyrovae.errors import ConfigError
    from pyrovae.generation import SentenceGenerator, describe
    from pyrovae.train.run_directory import RunDirectory

    if args.num < 0:
        raise ConfigError(f"--num must be non-negative, got {args.num}")
    if args.source not in ("prior", "posterior"):
        raise ConfigError(f"--from must be prior or posterior, got {args.source!r}")
    if args.source == "posterior" and not args.reconstruct:
        raise ConfigError("--from posterior decodes codes of given sentences: pass them with --reconstruct SENTENCE ...")
    choose = decoding_strategy(args)
    model, codec, _ = RunDirectory(args.run_dir).load_model(args.checkpoint)
    generator = SentenceGenerator(model, codec, choose, args.max_length)
    # as the model reads them (unknown words as <unk>); an empty sentence fails here, before any output
    inputs = [codec.decode(ids) for ids in codec.batch(args.reconstruct).targets] if args.reconstruct else []
    pyro.set_rng_seed(args.seed)
    name = describe(choose)
    if args.num and args.source == "prior":
        print(f"# {args.num} {name} decodings of z ~ p(z)")
        for sentence in generator.from_prior(args.num):
            print(sentence)
    if args.num and args.source == "posterior":
        print(f"# {args.num} {name} decodings of z ~ q(z | x) per sentence")
        for source, decoded in zip(inputs, generator.from_posterior(args.reconstruct, args.num)):
            print(source)
            for sentence in decoded:
                print(f"    {sentence}")
    if args.reconstruct:
        print(f"# reconstructions (input -> {name} decoding of the posterior mean)")
        for source, output in zip(inputs, generator.reconstruct(args.reconstruct)):
            print(f"{source}  ->  {output}")
    return 0
