"""``pyrovae diagnose RUN_DIR``: a report folder on the latent space of a trained run."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

HELP = """Diagnose the latent space of a run on one split (default: valid): does the aggregate
posterior q(z) match the prior (marginal KL, index-code MI, total correlation, moments, MMD,
per-dimension KS), and does the decoder use z (accuracy drop and JS divergence between decodings
with posterior and prior codes, over relative position)? Writes a report folder (default
RUN_DIR/diagnose-SPLIT, or --out): report.json (every number), summary.txt, and the figures
posterior_marginals.png (per-dimension histograms of q(z) samples over the prior density),
per_dimension_tests.png (KS and MMD per dimension) and decoder_use.png. `pyrovae compare` reads
report.json, so a diagnosed run need not be recomputed."""

#: Identifies a diagnose report.json (``compare`` accepts report folders as well as runs).
REPORT_FORMAT = "pyrovae.diagnose-report"
REPORT_VERSION = 1
REPORT_FILE = "report.json"


def add_parser(commands) -> None:
    from pyrovae.cli.evaluate import add_data_options

    parser = commands.add_parser("diagnose", help="report folder: aggregate posterior vs prior, decoder use, plots", description=HELP)
    parser.add_argument("run_dir", metavar="RUN_DIR")
    add_data_options(parser, default_split="valid")
    parser.add_argument("--out", metavar="DIR", help="the report folder (default RUN_DIR/diagnose-SPLIT)")
    parser.add_argument("--iw-samples", type=int, default=0, metavar="K", help="importance samples for the NLL in the report (default 0: the -ELBO bound only)")
    parser.add_argument("--num-bins", type=int, default=10, help="relative-position bins of the decoder-use curves (default 10)")
    parser.add_argument("--decoder-samples", type=int, default=5, metavar="K", help="posterior and prior codes per sentence for the decoder-use figures (default 5, as Barkhof 2021; cost: 2K decoder passes)")
    parser.add_argument("--num-prior-samples", type=int, default=None, metavar="M", help="prior draws for MMD/KS (default: one per sentence)")
    parser.set_defaults(run=run)


@dataclass
class Diagnosis:
    """What :func:`diagnose` computes: ``metrics`` (the standard report, then the latent and
    decoder-use scalars), and the full results with their per-dimension and per-position arrays."""

    metrics: dict[str, Any]
    latent: Any  # pyrovae.diagnostics.LatentDiagnostics
    decoder_use: Any  # pyrovae.diagnostics.DecoderUse


def diagnose(
    model,
    batches: Callable[[], Any],
    *,
    iw_samples: int = 0,
    num_bins: int = 10,
    decoder_samples: int = 5,
    num_prior_samples: int | None = None,
    mi_points: int | None = None,
    progress: bool = False,
) -> Diagnosis:
    """Evaluate ``model`` on the batches that ``batches()`` yields (called once per pass).

    ``iw_samples`` and ``mi_points`` go to :func:`pyrovae.metrics.evaluate`, ``num_prior_samples``
    to :func:`pyrovae.diagnostics.diagnose_latents`, ``num_bins`` and ``decoder_samples`` (its
    ``num_samples``) to :func:`pyrovae.diagnostics.decoder_use`.

    Raises:
        UnsupportedModelError: the model has no latent variable.
    """
    from pyrovae.diagnostics import decoder_use, diagnose_latents
    from pyrovae.errors import UnsupportedModelError
    from pyrovae.metrics import evaluate

    if not getattr(model, "latent_dim", 0):
        raise UnsupportedModelError(
            f"{type(model).__name__} has no latent variable: there is no latent space to diagnose; use `pyrovae evaluate`"
        )
    metrics = evaluate(model, batches(), iw_samples=iw_samples, mi_points=mi_points, progress=progress)
    latent = diagnose_latents(model, batches(), num_prior_samples=num_prior_samples, progress=progress)
    use = decoder_use(model, batches(), num_bins=num_bins, num_samples=decoder_samples, progress=progress)
    for name, value in latent.scalars.items():
        metrics.setdefault(name, value)
    metrics |= {"accuracy_drop": use.accuracy_drop, "js_divergence": use.js_divergence}
    return Diagnosis(metrics, latent, use)


def ks_sample_sizes(latent) -> tuple[int, int | None]:
    """``(n, m)`` of the KS tests of ``latent`` (a LatentDiagnostics): ``m`` is None for
    one-sample tests against the prior's CDF."""
    one_sample = latent.ks_method.startswith("one-sample")
    return latent.aggregate_samples.shape[0], None if one_sample else latent.prior_samples.shape[0]


def draw_figures(diagnosis: Diagnosis, prior, out_dir: Path) -> list[Path]:
    """The report's three figures in ``out_dir``; ``prior`` is ``p(z)`` (its exact marginal
    densities are drawn when it has them, else a kernel density estimate of prior draws)."""
    from pyrovae.metrics.aggregate_posterior import univariate_marginals
    from pyrovae.plots import (
        distribution_marginals,
        plot_decoder_use,
        plot_per_dimension_tests,
        plot_posterior_marginals,
    )

    latent, use = diagnosis.latent, diagnosis.decoder_use
    marginals = univariate_marginals(prior)
    return [
        plot_posterior_marginals(
            latent.aggregate_samples.numpy(),
            latent.prior_samples.numpy(),
            out_dir / "posterior_marginals.png",
            prior_pdf=distribution_marginals(marginals) if marginals is not None else None,
            ks_statistic=latent.ks_statistic,
        ),
        plot_per_dimension_tests(latent.ks_statistic, latent.mmd_per_dim, out_dir / "per_dimension_tests.png", sample_sizes=ks_sample_sizes(latent)),
        plot_decoder_use(use.positions, use.accuracy_drop_curve, use.js_curve, out_dir / "decoder_use.png"),
    ]


def summary(diagnosis: Diagnosis, header: str) -> str:
    """A short text summary: the key figures, the rate split into index-code MI and marginal KL,
    the dimensions least like the prior, and where in the sentence the decoder uses z most."""
    import numpy as np

    from pyrovae.cli.table import format_table
    from pyrovae.plots import ks_critical_value

    metrics, latent, use = diagnosis.metrics, diagnosis.latent, diagnosis.decoder_use
    keys = ("elbo", "rate", "distortion", "nll", "active_units", "mutual_information", "marginal_kl", "index_code_mi",
            "total_correlation", "dimensionwise_kl", "log_det_cov", "mean_norm_sq", "moment_matched_kl", "mmd", "ks_max",
            "ks_mean", "accuracy_drop", "js_divergence")
    lines = [format_table(header, {k: metrics[k] for k in keys if k in metrics}), ""]
    rate, marginal_kl, mi = (latent.scalars.get(k) for k in ("rate", "marginal_kl", "index_code_mi"))
    if rate is not None and marginal_kl is not None and mi is not None and np.isfinite(marginal_kl.value):
        lines.append(
            f"rate {rate.value:.4g} nats = index-code MI {mi.value:.4g} + marginal KL {marginal_kl.value:.4g} "
            "(the part of the rate that moves q(z) away from p(z) rather than informing about x)."
        )
    critical = ks_critical_value(*ks_sample_sizes(latent))
    order = np.argsort(-latent.ks_statistic)[:5]
    worst = ", ".join(f"z{d} {latent.ks_statistic[d]:.3f}" for d in order)
    rejected = int((latent.ks_statistic > critical).sum())
    lines.append(f"KS ({latent.ks_method}): {rejected} of {latent.ks_statistic.size} dimensions above the critical value {critical:.3f} (alpha 0.05, uncorrected); largest: {worst}.")
    if np.isfinite(use.js_curve).any():
        peak = int(np.nanargmax(use.js_curve))
        lines.append(f"Decoder use: JS divergence largest at relative position {use.positions[peak]:.2f} ({use.js_curve[peak]:.4f} nats/token).")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    import time

    from pyrovae.cli.evaluate import load_evaluation_set
    from pyrovae.cli.metric_files import write_json
    from pyrovae.errors import ConfigError

    if args.iw_samples < 0:
        raise ConfigError(f"--iw-samples must be 0 (no importance sampling) or more, got {args.iw_samples}")
    if args.num_bins < 1:
        raise ConfigError(f"--num-bins must be at least 1, got {args.num_bins}")
    if args.decoder_samples < 2:
        raise ConfigError(f"--decoder-samples must be at least 2 (the within-posterior baseline needs a pair), got {args.decoder_samples}")
    if args.num_prior_samples is not None and args.num_prior_samples < 2:
        raise ConfigError(f"--num-prior-samples must be at least 2, got {args.num_prior_samples}")
    start = time.perf_counter()
    data = load_evaluation_set(args)
    out_dir = Path(args.out) if args.out else data.run_dir.path / f"diagnose-{data.label}"
    diagnosis = diagnose(
        data.model,
        data.batches,
        iw_samples=args.iw_samples,
        num_bins=args.num_bins,
        decoder_samples=args.decoder_samples,
        num_prior_samples=args.num_prior_samples,
        mi_points=data.config.eval_mi_points,
        progress=not args.no_progress,
    )
    figures = draw_figures(diagnosis, data.model.prior(), out_dir)
    seconds = time.perf_counter() - start
    header = f"{data.run_dir.path} ({args.checkpoint} checkpoint), {data.label}: {data.path}, {len(data.dataset)} sentences, seed {args.seed}"
    text = summary(diagnosis, header)
    (out_dir / "summary.txt").write_text(text, encoding="utf-8")
    write_json(
        out_dir / REPORT_FILE,
        {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "run": str(data.run_dir.path.resolve()),
            "checkpoint": args.checkpoint,
            "split": data.label,
            "data": data.path,
            "seed": args.seed,
            "decoder_samples": args.decoder_samples,
            "seconds": round(seconds, 1),
            "metrics": diagnosis.metrics,
            "latent": diagnosis.latent,
            "decoder_use": diagnosis.decoder_use,
            "figures": [figure.name for figure in figures],
        },
    )
    print(text, end="")
    print(f"wrote {out_dir}/: {REPORT_FILE}, summary.txt, {', '.join(f.name for f in figures)} ({seconds:.0f} s)")
    return 0
