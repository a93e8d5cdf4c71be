"""Figures: each writes a PNG of the expected size; the densities and critical values they draw
are checked against scipy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import stats

from pyrovae.metrics import Estimate
from pyrovae.plots import (
    distribution_marginals,
    kernel_density_marginals,
    ks_critical_value,
    plot_decoder_use,
    plot_latent_fit_vs_rate,
    plot_per_dimension_tests,
    plot_posterior_marginals,
    plot_rate_distortion,
)
from tests.plots.png import assert_png


def test_importing_the_plots_does_not_import_matplotlib():
    code = "import sys, pyrovae.plots; assert 'matplotlib' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_distribution_marginals_are_the_coordinate_densities():
    pdf = distribution_marginals(torch.distributions.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])))
    x = np.linspace(-3, 3, 7)
    assert np.allclose(pdf(0, x), stats.norm.pdf(x), rtol=1e-5)
    assert np.allclose(pdf(1, x), stats.norm.pdf(x, loc=1.0, scale=2.0), rtol=1e-5)


def test_kernel_density_of_gaussian_samples_is_close_to_the_density():
    samples = np.random.default_rng(0).normal(size=(20_000, 2))
    x = np.linspace(-2, 2, 9)
    assert np.abs(kernel_density_marginals(samples)(1, x) - stats.norm.pdf(x)).max() < 0.02


def test_ks_critical_value_matches_smirnovs_table_and_the_null_rejection_rate():
    assert ks_critical_value(10**9, 10**9) * np.sqrt(10**9 / 2) == pytest.approx(1.358, abs=1e-3)
    assert ks_critical_value(10**9, 10**9, alpha=0.01) * np.sqrt(10**9 / 2) == pytest.approx(1.628, abs=1e-3)
    assert ks_critical_value(400) == pytest.approx(1.358 / 20, abs=1e-4)  # one sample against a CDF
    rng = np.random.default_rng(1)
    critical = ks_critical_value(400, 600)
    rejections = [stats.ks_2samp(rng.normal(size=400), rng.normal(size=600)).statistic > critical for _ in range(400)]
    assert 0.02 < np.mean(rejections) < 0.09  # alpha = 0.05 under the null


def test_posterior_marginals_figure(tmp_path):
    rng = np.random.default_rng(2)
    aggregate, prior = rng.normal(0.5, 0.5, size=(500, 10)), rng.normal(size=(800, 10))
    path = plot_posterior_marginals(aggregate, prior, tmp_path / "sub" / "marginals.png", prior_pdf=distribution_marginals(torch.distributions.Normal(torch.zeros(10), torch.ones(10))), ks_statistic=np.full(10, 0.3))
    assert path == tmp_path / "sub" / "marginals.png"
    assert_png(path)
    assert_png(plot_posterior_marginals(aggregate, prior, tmp_path / "kde.png", dims=[3, 1]))
    with pytest.raises(ValueError, match=r"\[N, D\] and \[M, D\]"):
        plot_posterior_marginals(aggregate, prior[:, :3], tmp_path / "bad.png")


def test_per_dimension_tests_figure(tmp_path):
    assert_png(plot_per_dimension_tests(np.linspace(0, 0.2, 32), np.linspace(0, 0.01, 32), tmp_path / "tests.png", sample_sizes=(300, 300)))
    with pytest.raises(ValueError, match="two \\[D\\] arrays"):
        plot_per_dimension_tests(np.zeros(3), np.zeros(4), tmp_path / "bad.png")


def test_decoder_use_figure(tmp_path):
    positions = np.linspace(0.05, 0.95, 10)
    assert_png(plot_decoder_use(positions, np.linspace(0.3, 0.0, 10), np.linspace(0.5, 0.1, 10), tmp_path / "use.png"))
    with pytest.raises(ValueError, match="same length"):
        plot_decoder_use(positions, np.zeros(3), np.zeros(10), tmp_path / "bad.png")


def test_figures_across_runs_tolerate_missing_metrics(tmp_path):
    def e(value, stderr=None):
        return Estimate(value, stderr, "nats/sentence")

    runs = {
        "collapsed": {"rate": e(0.01, 0.001), "distortion": e(110.0, 1.0), "elbo": e(-110.0, 1.0), "marginal_kl": e(0.004)},
        "free bits": {"rate": e(12.0, 0.05), "distortion": e(105.0, 1.0), "elbo": e(-117.0, 1.0), "marginal_kl": e(4.0, 0.2), "ks_max": e(0.2), "mmd": e(0.02)},
        "evaluated only": {"rate": e(5.0), "distortion": e(108.0), "elbo": e(-113.0)},
    }
    assert_png(plot_rate_distortion(runs, tmp_path / "rd.png"))
    assert_png(plot_latent_fit_vs_rate(runs, tmp_path / "fit.png"))
    assert_png(plot_latent_fit_vs_rate({"only": {"elbo": e(-1.0)}}, tmp_path / "empty.png"))


def test_a_panel_without_data_says_so(tmp_path):
    from pyrovae.plots.canvas import NO_DATA, new_figure, save

    figure, axes = new_figure(1, 2)
    axes[0, 0].plot([0, 1], [1, 2])
    save(figure, tmp_path / "figure.png")
    assert [t.get_text() for t in axes[0, 1].texts] == [NO_DATA] and not axes[0, 0].texts
