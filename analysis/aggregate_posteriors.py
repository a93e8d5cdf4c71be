"""Compare the aggregate posteriors q(z) of trained runs with their prior p(z).

The analysis of Barkhof (2021), section 4.2.1 and Appendix B, written out step by step with the
library so that it can be copied and changed (other groups, another component family, other
priors, held-out codes, ...). ``pyrovae analyse`` runs the same steps 1-4; step 5 goes further.

    python analysis/aggregate_posteriors.py RUN_DIR_OR_LATENTS... --out DIR [--univariate] [--compare]

1. Codes: for each run, z ~ q(z | x) for the validation sentences, with log p(z) and the
   sentences' rates (from a latents file of `pyrovae latents`, or encoded now).
2. Groups: a random subset of codes per run, plus draws from the first run's prior as the
   reference group "prior".
3. Fit: a mixed-membership model (K shared Student-t components, Dirichlet weights per group) by
   SVI with the component assignments enumerated; draws from the fitted guide.
4. Report: mixing weights, overlap with the prior's mixture, marginal KL(q || p) with a credible
   interval, index-code MI = rate - marginal KL; optionally the PSIS-LOO comparison of "q(z) equals
   the prior" with "differs"; tables and PNGs in DIR.
5. Held-out check: the marginal KL again, on codes the model was not fitted to (removes the
   optimism of scoring the fitted codes; see pyrovae.analysis.density).

Figures are nats per code, one code per sentence.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from pyrovae.analysis import (
    AnalysisOptions,
    FitOptions,
    GroupedSamples,
    RunLatents,
    analyse,
    format_report,
    marginal_kl,
    write_report,
)
from pyrovae.analysis.collect import collect_run_latents
from pyrovae.data import read_text_file
from pyrovae.train.run_directory import RunDirectory


def codes_of(source: str, cache: Path, seed: int) -> RunLatents:
    """Step 1: a latents file as it is, or a run directory's validation codes (encoded once, cached)."""
    path = Path(source)
    if path.is_file():
        return RunLatents.load(path)
    cached = cache / f"{path.resolve().name}.safetensors"
    if cached.is_file():
        return RunLatents.load(cached)
    config = RunDirectory(path).load_config()
    latents = collect_run_latents(path, read_text_file(config.valid), seed=seed, metadata={"split": "valid", "data": config.valid})
    latents.save(cached)
    return latents


def held_out_marginal_kl(analysis, sources: list[RunLatents], seed: int) -> dict[str, str]:
    """Step 5: KL(q_g || p) from the codes of each run that were not among its fitted subset."""
    results = {}
    for g, (name, latents) in enumerate(zip(analysis.groups.names, sources)):
        fitted = analysis.groups.groups[name].sentence
        codes = latents.aggregate
        if fitted is None or codes.sentence is None:
            continue
        unused = ~torch.isin(codes.sentence, fitted)
        if unused.sum() < 2:
            continue
        held_out = codes.subset(unused)
        log_prior = held_out.log_prior_dims if analysis.options.univariate and held_out.log_prior_dims is not None else held_out.log_prior
        kl = marginal_kl(analysis.posterior, held_out.z, g, log_prior, seed=seed)
        results[name] = f"{kl.interval(analysis.options.prob)} from {held_out.num_samples} held-out codes"
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", help="run directories or latents files (pyrovae latents)")
    parser.add_argument("--out", default="aggregate-posteriors", help="report folder")
    parser.add_argument("--num-samples", type=int, default=2000, help="codes per run (and prior samples)")
    parser.add_argument("--components", type=int, default=5)
    parser.add_argument("--univariate", action="store_true", help="one model per latent dimension")
    parser.add_argument("--compare", action="store_true", help="PSIS-LOO: q(z) = prior vs differs, per run")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out)

    sources = [codes_of(source, out / "latents", args.seed) for source in args.sources]  # 1
    groups = GroupedSamples.from_run_latents(sources, args.num_samples, seed=args.seed)  # 2
    options = AnalysisOptions(  # 3
        num_components=args.components,
        family="studentt",
        univariate=args.univariate,
        fit=FitOptions(num_steps=args.steps, subsample_size=1024, seed=args.seed, progress=True),
        num_draws=1000,
        compare=args.compare,
    )
    analysis = analyse(groups, options)
    print(format_report(analysis))  # 4
    written = write_report(analysis, out)
    print(f"wrote {', '.join(sorted(written))} to {out}")
    for name, text in held_out_marginal_kl(analysis, sources, args.seed).items():  # 5
        print(f"held-out marginal KL of {name}: {text}")


if __name__ == "__main__":
    main()
