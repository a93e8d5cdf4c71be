"""The report of an :class:`~pyrovae.analysis.summary.Analysis`: tables (text and JSON) and PNGs.

:func:`write_report` fills a folder with

* ``summary.txt``: the tables :func:`format_report` prints;
* ``summary.json``: every number with its interval and unit, the options, the fit's convergence;
* ``az_summary.txt``: ``az.summary`` (``kind="stats"``) of the weights and marginal KLs;
* ``elbo_trace.png``: the SVI loss trace;
* ``mixing_weights.png`` (forest plot of every group's weights; in the univariate model the weight
  on the prior's component per dimension), ``marginal_kl.png`` (each group's rate split into
  index-code MI and marginal KL),
  ``marginal_kl_posterior.png`` (their posterior densities), ``marginal_kl_per_dim.png``
  (univariate model), ``compare_<group>.png`` (``az.plot_compare``, when compared).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyrovae.analysis.summary import Analysis


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def _rate(rate) -> str:
    if rate is None:
        return "-"
    return str(rate).removesuffix(f" {rate.unit}")


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_report(analysis: Analysis) -> str:
    """The summary table, the mixing weights (joint model) and any hypothesis comparisons."""
    options, fit = analysis.options, analysis.fit
    model = analysis.posterior.model
    percent = f"{options.prob:.0%}"
    lines = [
        f"Mixed-membership analysis: {model.num_groups} groups, D = {model.latent_dim}, K = {model.num_components} "
        f"{model.family.name} components, {'univariate (one model per dimension)' if model.univariate else 'joint model in R^D'}",
        f"SVI: {options.fit.num_steps} steps in {fit.seconds:.1f} s; {fit.convergence.describe()}",
        f"Posterior means with {percent} equal-tailed credible intervals over {options.num_draws} guide draws. "
        "KL and MI in nats per code, the rate in nats per sentence (one code per sentence unless --per-point says otherwise).",
        f"Reference (prior) group: {analysis.groups.reference}; component 0 is its largest component."
        if analysis.groups.reference
        else "No reference (prior) group: no overlaps or comparisons.",
        "",
    ]
    header = ["group", "N", "weight on prior's comp.", "overlap with prior", "shares prior", "marginal KL (nats)", "rate (nats)", "index-code MI (nats)"]
    if any(s.comparison is not None for s in analysis.summaries.values()):
        header.append("LOO: q_g = prior?")
    rows = []
    for summary in analysis.summaries.values():
        row = [
            summary.name,
            str(summary.num_samples),
            _cell(summary.prior_component_weight),
            _cell(summary.overlap),
            _cell(summary.shares_prior),
            summary.marginal_kl.format(unit=False),
            _rate(summary.rate),
            "-" if summary.index_code_mi is None else summary.index_code_mi.format(unit=False),
        ]
        if len(header) > len(row):
            row.append("-" if summary.comparison is None else summary.comparison.preferred)
        rows.append(row)
    lines.append(_table(header, rows))
    lines += _notes(analysis)
    if not model.univariate:
        lines += ["", "Mixing weights per component (mean [interval])"]
        header = ["group"] + [f"component {k}" for k in range(model.num_components)]
        rows = [[s.name] + [str(w) for w in s.weights[0]] for s in analysis.summaries.values()]
        lines.append(_table(header, rows))
    else:
        lines += ["", "Marginal KL per dimension (nats; mean over draws)"]
        for summary in analysis.summaries.values():
            if summary.marginal_kl_per_dim:
                values = " ".join(f"{kl.mean:.2f}" for kl in summary.marginal_kl_per_dim)
                lines.append(f"{summary.name}: {values}")
    comparisons = [s.comparison for s in analysis.summaries.values() if s.comparison is not None]
    if comparisons:
        lines += ["", "Hypothesis comparison (PSIS-LOO, az.compare): 'equal' ties the group's weights to the reference's"]
        lines += [comparison.describe() + f"; az.compare ranks '{comparison.ranked_first}' first" for comparison in comparisons]
    return "\n".join(lines)


def _notes(analysis: Analysis) -> list[str]:
    """How to read the KL column, and a warning for estimates below zero."""
    notes = [
        "",
        "Marginal KL: the Bayesian-bootstrap average of log q_g(z) - log p(z) over the group's codes. In expectation it",
        "is KL(q_g || p) minus KL(q_g || fitted density): components that cannot follow q_g (too few, or shared with",
        "other groups) pull it down, so it is a lower bound and the index-code MI an upper bound. The prior group's own",
        "estimate shows the bias at KL = 0; refit with more components to see whether the estimates still rise.",
    ]
    below = [s.name for s in analysis.summaries.values() if s.marginal_kl.upper < 0]
    if below:
        notes.append(
            f"Below zero: {', '.join(below)}. Their marginal KL is below what this density model resolves; read it as "
            "about 0 (and the index-code MI as at most the rate)."
        )
    return notes


def report_dict(analysis: Analysis) -> dict[str, Any]:
    """Everything in the report, JSON-serialisable."""
    options, fit = analysis.options, analysis.fit
    return {
        "model": repr(analysis.posterior.model),
        "options": {
            "num_components": options.num_components,
            "family": repr(analysis.posterior.model.family),
            "univariate": options.univariate,
            "priors": vars(options.priors),
            "fit": vars(options.fit),
            "num_draws": options.num_draws,
            "prob": options.prob,
            "compare": options.compare,
            "threshold": options.threshold,
        },
        "fit": {
            "seconds": fit.seconds,
            "num_observations": fit.num_observations,
            "settled": fit.convergence.settled,
            "drift": fit.convergence.drift,
            "threshold": fit.convergence.threshold,
            "final_loss_per_observation": sum(fit.losses[-50:]) / len(fit.losses[-50:]) / fit.num_observations,
        },
        "reference": analysis.groups.reference,
        "groups": {name: summary.to_dict() for name, summary in analysis.summaries.items()},
    }


def write_report(analysis: Analysis, out_dir: str | Path, plots: bool = True) -> dict[str, Path]:
    """Write the report folder (module docstring); returns ``{name: path}`` of what was written."""
    from pyrovae.analysis import plots as figures
    from pyrovae.analysis.inference_data import summary

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"summary.txt": out / "summary.txt", "summary.json": out / "summary.json"}
    written["summary.txt"].write_text(format_report(analysis) + "\n", encoding="utf-8")
    written["summary.json"].write_text(json.dumps(report_dict(analysis), indent=2) + "\n", encoding="utf-8")
    if not plots:
        return written
    idata, prob = analysis.inference_data, analysis.options.prob
    written["az_summary.txt"] = out / "az_summary.txt"
    written["az_summary.txt"].write_text(summary(idata, ["weights", "marginal_kl"], prob).to_string() + "\n", encoding="utf-8")
    written["elbo_trace.png"] = figures.plot_elbo_trace(analysis.fit, out / "elbo_trace.png", "Mixed-membership SVI")
    univariate = analysis.posterior.model.univariate
    if univariate:
        per_dim = {name: [block[0] for block in s.weights] for name, s in analysis.summaries.items()}
        written["mixing_weights.png"] = figures.plot_per_dimension(
            per_dim, out / "mixing_weights.png", "weight on the prior's component", "Weight on the prior's component per dimension"
        )
        kl_per_dim = {name: s.marginal_kl_per_dim for name, s in analysis.summaries.items() if s.marginal_kl_per_dim}
        if kl_per_dim:
            written["marginal_kl_per_dim.png"] = figures.plot_per_dimension(
                kl_per_dim, out / "marginal_kl_per_dim.png", "KL(q_d || p_d) (nats)", "Marginal KL per dimension"
            )
    else:
        written["mixing_weights.png"] = figures.plot_forest(
            idata, ["weights"], out / "mixing_weights.png", prob, "Mixing weights (component 0: the prior's)"
        )
    written["marginal_kl.png"] = figures.plot_rate_decomposition(analysis.summaries, out / "marginal_kl.png")
    written["marginal_kl_posterior.png"] = figures.plot_posteriors(idata, ["marginal_kl"], out / "marginal_kl_posterior.png", prob)
    for name, s in analysis.summaries.items():
        if s.comparison is not None:
            key = f"compare_{name}.png"
            written[key] = figures.plot_comparison(s.comparison.table, out / key, f"{name}: equal to {s.comparison.reference}?")
    return written
