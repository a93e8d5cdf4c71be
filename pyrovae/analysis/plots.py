"""PNG figures of an analysis: the SVI loss trace, forest and posterior plots (ArviZ), per-dimension
intervals. Matplotlib runs with the Agg backend and is imported inside each function."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import torch

from pyrovae.analysis.fit import FitResult
from pyrovae.analysis.intervals import CredibleInterval

#: Steps of the running mean drawn over the loss trace.
RUNNING_MEAN = 50


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    _pyplot().close(figure)
    return path


def plot_elbo_trace(result: FitResult, path: str | Path, title: str = "SVI") -> Path:
    """The negative ELBO per observation at every step, its running mean, and the window of the
    convergence check (shaded), titled with the check's verdict."""
    plt = _pyplot()
    losses = torch.tensor(result.losses, dtype=torch.float64) / result.num_observations
    steps = torch.arange(1, len(losses) + 1)
    width = min(RUNNING_MEAN, len(losses))
    running = losses.unfold(0, width, 1).mean(-1)
    figure, axis = plt.subplots(figsize=(7, 3.5))
    window_start = len(losses) - max(4, int(len(losses) * result.options.window))
    axis.axvspan(window_start, len(losses), color="tab:green", alpha=0.2, zorder=0, label="convergence window")
    axis.plot(steps, losses, lw=0.5, alpha=0.35, label="-ELBO estimate (one mini-batch)")
    axis.plot(steps[width - 1 :], running, lw=1.5, color="tab:orange", label=f"running mean ({width} steps)")
    settled = running[len(running) // 10 :]
    low, high = float(settled.min()), float(settled.max())
    margin = 0.1 * (high - low) + 1e-3
    axis.set_ylim(low - margin, high + 4 * margin)
    axis.set_xlabel("SVI step")
    axis.set_ylabel("-ELBO (nats / observation)")
    state = "settled" if result.convergence.settled else "NOT settled"
    axis.set_title(f"{title}: {state} ({result.seconds:.0f} s, {len(losses)} steps)")
    axis.legend(fontsize=8)
    return _save(figure, path)


def plot_forest(idata, var_names: Sequence[str], path: str | Path, prob: float = 0.95, title: str | None = None) -> Path:
    """ArviZ forest plot (posterior means with ``prob`` highest-density intervals)."""
    from pyrovae.analysis.inference_data import quietly, require_arviz

    _pyplot()
    axes = quietly(require_arviz().plot_forest, idata, var_names=list(var_names), combined=True, hdi_prob=prob, show=False)
    figure = axes.ravel()[0].figure
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_posteriors(idata, var_names: Sequence[str], path: str | Path, prob: float = 0.95) -> Path:
    """ArviZ posterior plots (densities with ``prob`` highest-density intervals)."""
    from pyrovae.analysis.inference_data import quietly, require_arviz

    _pyplot()
    axes = quietly(require_arviz().plot_posterior, idata, var_names=list(var_names), hdi_prob=prob, show=False, textsize=9)
    figure = axes.ravel()[0].figure if hasattr(axes, "ravel") else axes.figure
    return _save(figure, path)


def plot_comparison(table, path: str | Path, title: str | None = None) -> Path:
    """``az.plot_compare`` of an ``az.compare`` table (elpd_loo with standard errors)."""
    from pyrovae.analysis.inference_data import quietly, require_arviz

    _pyplot()
    axis = quietly(require_arviz().plot_compare, table, show=False)
    if title:
        axis.set_title(title)
    return _save(axis.figure, path)


def plot_per_dimension(values: Mapping[str, Sequence[CredibleInterval]], path: str | Path, ylabel: str, title: str | None = None) -> Path:
    """One series per group: a credible interval per dimension (e.g. per-dimension marginal KL)."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(9, 3.5))
    count = max(1, len(values))
    for position, (name, intervals) in enumerate(values.items()):
        offset = (position - (count - 1) / 2) * 0.8 / count
        x = [d + offset for d in range(len(intervals))]
        mean = [i.mean for i in intervals]
        error = [[i.mean - i.lower for i in intervals], [i.upper - i.mean for i in intervals]]
        axis.errorbar(x, mean, yerr=error, fmt="o", ms=3, lw=1, label=name)
    axis.set_xlabel("latent dimension")
    axis.set_ylabel(ylabel)
    if title:
        axis.set_title(title)
    axis.legend(fontsize=8)
    return _save(figure, path)


def plot_rate_decomposition(summaries: Mapping[str, object], path: str | Path, title: str = "Rate = index-code MI + marginal KL") -> Path:
    """Per group, the rate split into the index-code MI and the marginal KL (stacked bars, nats),
    with the KL's credible interval; groups without a rate (prior samples) show the KL alone.

    Args:
        summaries: ``{name: GroupSummary}`` (:mod:`pyrovae.analysis.summary`).
    """
    plt = _pyplot()
    names = list(summaries)
    figure, axis = plt.subplots(figsize=(7, 0.6 * len(names) + 1.2))
    for row, name in enumerate(names):
        summary = summaries[name]
        kl = summary.marginal_kl
        error = [[kl.mean - kl.lower], [kl.upper - kl.mean]]
        if summary.index_code_mi is not None:
            mi = summary.index_code_mi.mean
            axis.barh(row, mi, color="tab:blue", label="index-code MI" if row == 0 else None)
            axis.barh(row, kl.mean, left=mi, color="tab:orange", label="marginal KL" if row == 0 else None)
            axis.errorbar(mi + kl.mean, row, xerr=error, color="black", capsize=3, lw=1)
            axis.text(summary.rate.value, row, f"  rate {summary.rate.value:.3g}", va="center", fontsize=8)
        else:
            axis.errorbar(kl.mean, row, xerr=error, fmt="o", color="tab:orange", capsize=3, ms=4)
            axis.text(max(kl.upper, 0), row, f"  KL {kl.mean:.2g} (no rate)", va="center", fontsize=8)
    axis.set_yticks(range(len(names)), names)
    axis.invert_yaxis()
    axis.set_xlabel("nats per code")
    axis.set_title(title)
    axis.legend(fontsize=8, loc="lower right")
    return _save(figure, path)
