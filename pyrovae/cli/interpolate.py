"""``pyrovae interpolate RUN_DIR "sentence one" "sentence two"``: decode a homotopy between codes."""

from __future__ import annotations

import argparse

HELP = """Decode evenly spaced points on the straight line between the codes (posterior means) of two
sentences, or between two draws from the prior with --prior (Bowman et al. 2016, section 5). With
greedy decoding the first and last lines are the two sentences' reconstructions."""


def add_parser(commands) -> None:
    from pyrovae.cli.decoding_options import add_decoding_options

    parser = commands.add_parser("interpolate", help="decode the path between two sentences' codes", description=HELP)
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("sentences", nargs="*", metavar="SENTENCE", help="two sentences (none with --prior)")
    parser.add_argument("--prior", action="store_true", help="interpolate between two codes drawn from the prior")
    parser.add_argument("--steps", type=int, default=7, help="points on the path, endpoints included (default 7)")
    add_decoding_options(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", default="best", choices=["best", "latest"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pyro

    from pyrovae.cli.decoding_options import decoding_strategy
    from pyrovae.errors import ConfigError, UnsupportedModelError
    from pyrovae.generation import SentenceGenerator, describe, homotopy
    from pyrovae.train.run_directory import RunDirectory

    expected = 0 if args.prior else 2
    if len(args.sentences) != expected:
        what = "no sentences with --prior" if args.prior else "two sentences (or --prior)"
        raise ConfigError(f"interpolate takes {what}, got {len(args.sentences)}")
    if args.steps < 2:
        raise ConfigError(f"--steps must be at least 2 (the two endpoints), got {args.steps}")
    choose = decoding_strategy(args)
    model, codec, _ = RunDirectory(args.run_dir).load_model(args.checkpoint)
    generator = SentenceGenerator(model, codec, choose, args.max_length)
    if not generator.has_latent:
        raise UnsupportedModelError("the run's model has no latent variable: there is nothing to interpolate")
    pyro.set_rng_seed(args.seed)
    if args.prior:
        start, end = generator.prior_codes(2)
        print(f"# {describe(choose)} decodings from z1 ~ p(z) to z2 ~ p(z), {args.steps} steps")
    else:
        start, end = generator.posterior_codes(args.sentences)
        inputs = [codec.decode(ids) for ids in codec.batch(args.sentences).targets]
        print(f"# {describe(choose)} decodings from the posterior mean of {inputs[0]!r} to that of {inputs[1]!r}, {args.steps} steps")
    path = homotopy(start, end, args.steps)
    for t, sentence in zip(path.new_tensor(range(args.steps)) / (args.steps - 1), generator.decode(path)):
        print(f"{float(t):.2f}  {sentence}")
    return 0
