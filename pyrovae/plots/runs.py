r"""Figures across runs: the rate-distortion plane and the fit of ``q(z)`` to the prior vs rate.

Each run is one point, its metrics given as :class:`~pyrovae.metrics.Estimate` s (error bars are
one standard error where the estimate has one).

* :func:`plot_rate_distortion` (Barkhof 2021, Fig. 4.3; Alemi et al. 2018): distortion ``D`` and
  ELBO against rate ``R``, in nats per sentence. The dashed lines mark the ELBO of the run with the
  lowest rate (usually a collapsed one): :math:`D = -\mathrm{ELBO}_0 - R` in the first panel.
  Points below it in ``D`` bought their rate with an equal drop in distortion.
* :func:`plot_latent_fit_vs_rate` (Barkhof 2021, Figs. 4.7-4.8): marginal KL
  :math:`\mathrm{KL}(q(z) \,\|\, p(z))`, and the two-sample statistics, against rate. Since
  :math:`R = I_q(x; z) + \mathrm{KL}(q(z) \,\|\, p(z))` (Hoffman & Johnson 2016), the marginal KL
  lies below the diagonal ``y = R``; a run near the diagonal spends its rate on drifting away from
  the prior rather than on information about ``x``.

References: Alemi et al., "Fixing a Broken ELBO" (arXiv:1711.00464); Hoffman & Johnson, "ELBO
surgery: yet another way to carve up the variational evidence lower bound" (NIPS 2016 Workshop on
Advances in Approximate Bayesian Inference); Barkhof, "Taking a step back: assessing the
TransformerVAE as a latent variable model first" (MSc thesis, University of Amsterdam, 2021).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from pyrovae.metrics.estimate import Estimate
from pyrovae.plots.canvas import new_figure, save

#: ``{run label: {metric name: Estimate}}``.
RunMetrics = Mapping[str, Mapping[str, Estimate]]

#: Statistics of :func:`plot_latent_fit_vs_rate` and their axis labels.
LATENT_FIT_STATISTICS = {
    "marginal_kl": "marginal KL(q(z) || p(z)) (nats)",
    "ks_max": "max KS statistic over dimensions",
    "mmd": "MMD^2(q(z), p(z))",
}


def _scatter(ax, runs: RunMetrics, x_name: str, y_name: str) -> list[str]:
    """Plot each run that has both metrics, labelled; returns the labels plotted."""
    plotted = []
    for label, metrics in runs.items():
        x, y = metrics.get(x_name), metrics.get(y_name)
        if x is None or y is None:
            continue
        ax.errorbar(x.value, y.value, xerr=x.stderr or 0.0, yerr=y.stderr or 0.0, fmt="o", markersize=4, capsize=2)
        ax.annotate(label, (x.value, y.value), textcoords="offset points", xytext=(4, 3), fontsize=7)
        plotted.append(label)
    return plotted


def plot_rate_distortion(runs: RunMetrics, path: str | Path) -> Path:
    """Distortion vs rate and ELBO vs rate of each run (``rate``, ``distortion``, ``elbo`` in
    nats/sentence). Runs missing a metric are left out of that panel.

    Returns:
        ``path``.
    """
    figure, axes = new_figure(1, 2, panel_size=(4.0, 3.2))
    left, right = axes[0, 0], axes[0, 1]
    _scatter(left, runs, "rate", "distortion")
    _scatter(right, runs, "rate", "elbo")
    complete = [m for m in runs.values() if all(k in m for k in ("rate", "distortion", "elbo"))]
    if complete:
        reference = min(complete, key=lambda m: m["rate"].value)
        rates = [m["rate"].value for m in complete]
        low, high = min(rates), max(rates)
        left.plot([low, high], [-reference["elbo"].value - low, -reference["elbo"].value - high], "--", color="tab:pink", linewidth=1, label="ELBO of the lowest-rate run")
        right.axhline(reference["elbo"].value, linestyle="--", color="tab:pink", linewidth=1)
        left.legend(fontsize=7)
    left.set_xlabel("rate (nats/sentence)")
    left.set_ylabel("distortion (nats/sentence)")
    right.set_xlabel("rate (nats/sentence)")
    right.set_ylabel("ELBO (nats/sentence)")
    figure.suptitle("rate-distortion plane", fontsize=9)
    return save(figure, path)


def plot_latent_fit_vs_rate(runs: RunMetrics, path: str | Path, statistics: Sequence[str] = tuple(LATENT_FIT_STATISTICS)) -> Path:
    """One panel per statistic in ``statistics`` (keys of :data:`LATENT_FIT_STATISTICS` or
    other metric names) against ``rate``; the marginal-KL panel shows the bound ``KL <= R``.

    Returns:
        ``path``.
    """
    figure, axes = new_figure(1, len(statistics), panel_size=(3.6, 3.2))
    for ax, name in zip(axes.flat, statistics):
        plotted = _scatter(ax, runs, "rate", name)
        if name == "marginal_kl" and plotted:
            high = max(runs[label]["rate"].value for label in plotted)
            ax.plot([0.0, high], [0.0, high], ":", color="grey", linewidth=1, label="marginal KL = rate")
            ax.legend(fontsize=7)
        ax.set_xlabel("rate (nats/sentence)")
        ax.set_ylabel(LATENT_FIT_STATISTICS.get(name, name))
    figure.suptitle("aggregate posterior vs prior, across runs", fontsize=9)
    return save(figure, path)
