"""``pyrovae analyse SOURCE...``: compare the aggregate posteriors of trained runs with the prior."""

from __future__ import annotations

import argparse

HELP = """Fit a Bayesian mixed-membership model (Barkhof 2021, Appendix B) to the aggregate-posterior
samples of several runs plus a group of prior samples, and report per run: mixing weights with
credible intervals, the weight on the prior's component and the overlap with the prior's mixture,
the marginal KL(q(z) || p(z)) with a credible interval, the rate and the index-code mutual
information (rate - marginal KL), all in nats per sentence; with --compare, PSIS-LOO (ArviZ) of
"q(z) equals the prior" against "differs". See docs/analysis.md.

A SOURCE is a run directory (its latents-SPLIT.safetensors is used when present, otherwise codes are
drawn now and saved under OUT/latents/) or a file written by `pyrovae latents`. --split, --data,
--batch-size, --checkpoint, --device and --per-point apply to encoding run directories. The prior
group comes from the first source's prior draws (--prior-samples N of them; default: --num-samples,
or all stored draws if fewer).

examples:
  pyrovae analyse runs/elbo runs/free-bits runs/beta-c --out reports/aggregate
  pyrovae analyse runs/*/latents-valid.safetensors --univariate --components 3 --out reports/univariate
  pyrovae analyse runs/elbo runs/free-bits --compare --steps 3000 --out reports/compare"""


def add_parser(commands) -> None:
    from pyrovae.cli.evaluate import add_data_options
    from pyrovae.cli.latents import add_sampling_options

    parser = commands.add_parser(
        "analyse",
        help="Bayesian comparison of aggregate posteriors with the prior",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="run directories or .safetensors latents files")
    parser.add_argument("--out", default="aggregate-posteriors", metavar="DIR", help="report folder (default: ./aggregate-posteriors)")
    add_data_options(parser, default_split="valid")
    add_sampling_options(parser, "size of the prior group (default: --num-samples, or all stored prior draws if fewer; 0: no prior group)")
    parser.add_argument("--num-samples", type=int, default=2000, metavar="N", help="codes per run, a random subset (default 2000; 0: all)")
    parser.add_argument("--components", type=int, default=5, metavar="K", help="mixture components (default 5)")
    parser.add_argument("--family", default="studentt", help="component family: studentt (default) or normal")
    parser.add_argument("--univariate", action="store_true", help="one model per latent dimension instead of one in R^D")
    parser.add_argument("--concentration", type=float, default=0.5, metavar="ALPHA", help="Dirichlet prior of the weights (default 0.5)")
    parser.add_argument("--steps", type=int, default=1500, help="SVI steps (default 1500)")
    parser.add_argument("--svi-batch-size", type=int, default=1024, metavar="B", help="observations per SVI step (default 1024; 0: all)")
    parser.add_argument("--lr", type=float, default=0.05, help="initial Adam step size (decays 10x over the run)")
    parser.add_argument("--draws", type=int, default=1000, help="posterior draws for the summaries (default 1000)")
    parser.add_argument("--prob", type=float, default=0.95, help="credible mass of the intervals (default 0.95)")
    parser.add_argument("--compare", action="store_true", help="PSIS-LOO comparison of 'equals the prior' vs 'differs' per run (one more fit each)")
    parser.add_argument("--no-plots", action="store_true", help="write the tables only (no ArviZ, no PNGs)")
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    from pyrovae.analysis.families import get_family
    from pyrovae.cli.latents import check_counts
    from pyrovae.errors import ConfigError

    get_family(args.family)
    check_counts(args.per_point, args.prior_samples, args.batch_size)
    for name in ("num_samples", "svi_batch_size"):
        if getattr(args, name) < 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be non-negative, got {getattr(args, name)}")
    if args.components < 1:
        raise ConfigError(f"--components must be at least 1, got {args.components}")
    if args.steps < 10:
        raise ConfigError(f"--steps must be at least 10, got {args.steps}")
    if not args.lr > 0:
        raise ConfigError(f"--lr must be positive, got {args.lr}")
    if args.draws < 2:
        raise ConfigError(f"--draws must be at least 2, got {args.draws}")
    if not 0 < args.prob < 1:
        raise ConfigError(f"--prob must lie in (0, 1), got {args.prob}")


def load_source(source: str, args: argparse.Namespace, out_dir):
    """The latents of one SOURCE: a latents file, a run's saved file, or codes drawn now."""
    from pathlib import Path

    from pyrovae.analysis.samples import RunLatents
    from pyrovae.cli.latents import default_path, encode_run, run_data
    from pyrovae.errors import DataError

    path = Path(source)
    if path.is_file():
        return RunLatents.load(path)
    if not path.is_dir():
        raise DataError(f"{source} is neither a run directory nor a latents file (.safetensors from `pyrovae latents`)")
    data = run_data(source, args)
    saved = default_path(source, data[0])
    if saved.is_file():
        print(f"{source}: using {saved}")
        return RunLatents.load(saved)
    wanted = max(args.num_samples, args.prior_samples or 0) or None
    latents = encode_run(source, data, args, wanted)
    written = latents.save(Path(out_dir) / "latents" / f"{path.resolve().name}.safetensors")
    print(f"{source}: encoded {latents.aggregate.num_samples} codes, saved to {written}")
    return latents


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pyrovae.analysis import (
        AnalysisOptions,
        FitOptions,
        GroupedSamples,
        MixedMembershipPriors,
        analyse,
        format_report,
        write_report,
    )

    _check(args)
    out = Path(args.out)
    sources = [load_source(source, args, out) for source in args.sources]
    groups = GroupedSamples.from_run_latents(sources, args.num_samples, args.prior_samples, args.seed)
    options = AnalysisOptions(
        num_components=args.components,
        family=args.family,
        univariate=args.univariate,
        priors=MixedMembershipPriors(concentration=args.concentration),
        fit=FitOptions(
            num_steps=args.steps,
            learning_rate=args.lr,
            final_learning_rate=args.lr / 10,
            subsample_size=args.svi_batch_size or None,
            seed=args.seed,
            progress=not args.no_progress,
        ),
        num_draws=args.draws,
        prob=args.prob,
        compare=args.compare,
    )
    analysis = analyse(groups, options)
    print(format_report(analysis))
    written = write_report(analysis, out, plots=not args.no_plots)
    print(f"wrote {', '.join(sorted(written))} to {out}")
    return 0
