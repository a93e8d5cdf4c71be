"""Figures, one module per family; every function takes arrays (or Estimates) and a path, writes a
PNG and returns the path. matplotlib is imported only when a figure is drawn (Agg canvas, no
``pyplot`` state).

* :mod:`pyrovae.plots.posterior_marginals`: aggregate-posterior histograms over the prior density;
* :mod:`pyrovae.plots.two_sample_tests`: KS and MMD per latent dimension;
* :mod:`pyrovae.plots.decoder_use`: accuracy drop and JS divergence over relative position;
* :mod:`pyrovae.plots.runs`: the rate-distortion plane and marginal KL vs rate across runs;
* :mod:`pyrovae.plots.curves`: training curves (loss, rate, distortion, objective state) per step.
"""

from pyrovae.plots.curves import plot_training_curves
from pyrovae.plots.decoder_use import plot_decoder_use
from pyrovae.plots.posterior_marginals import (
    distribution_marginals,
    kernel_density_marginals,
    plot_posterior_marginals,
)
from pyrovae.plots.runs import plot_latent_fit_vs_rate, plot_rate_distortion
from pyrovae.plots.two_sample_tests import ks_critical_value, plot_per_dimension_tests

__all__ = [
    "distribution_marginals",
    "kernel_density_marginals",
    "ks_critical_value",
    "plot_decoder_use",
    "plot_latent_fit_vs_rate",
    "plot_per_dimension_tests",
    "plot_posterior_marginals",
    "plot_rate_distortion",
    "plot_training_curves",
]
