"""The ArviZ conversion: groups, dims and shapes, and az.loo / az.summary on the result."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pyrovae.analysis import (
    MeanFieldGuide,
    MixedMembership,
    MixedMembershipPosterior,
    to_inference_data,
)
from pyrovae.analysis.inference_data import loo, summary


def test_inference_data_has_posterior_and_pointwise_log_likelihood(analysis_8d):
    idata = analysis_8d.inference_data
    groups, S = analysis_8d.groups, analysis_8d.options.num_draws
    N = sum(groups.sizes().values())
    assert {"posterior", "log_likelihood", "observed_data", "constant_data"} <= set(idata.groups())
    assert idata.posterior["weights"].shape == (1, S, 3, 3)
    assert list(idata.posterior["weights"].coords["group"].values) == ["prior", "same", "shifted"]
    assert idata.posterior["loc"].shape == (1, S, 3, 8) and idata.posterior["df"].shape == (1, S, 3)
    assert idata.posterior["marginal_kl"].shape == (1, S, 3)
    assert idata.log_likelihood["z"].shape == (1, S, N)
    assert idata.observed_data["z"].shape == (N, 8)
    expected = analysis_8d.posterior.log_likelihood(groups.z, groups.group).numpy()
    np.testing.assert_allclose(idata.log_likelihood["z"].values[0], expected, rtol=1e-6)
    result = loo(idata)
    assert result["loo_i"].shape == (N,) and np.isfinite(result["elpd_loo"])
    table = summary(idata, ["weights", "marginal_kl"])
    assert "weights[shifted, 2]" in table.index or "weights[shifted, 0]" in table.index
    np.testing.assert_allclose(
        table.loc["marginal_kl[shifted]", "mean"], analysis_8d.summaries["shifted"].marginal_kl.mean, atol=2e-3
    )


@pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto")  # an unfitted guide: LOO is rough
def test_univariate_inference_data_has_a_dimension_axis():
    model = MixedMembership(3, 4, 2, univariate=True)
    z, group = torch.randn(60, 4), torch.arange(3).repeat(20)
    posterior = MixedMembershipPosterior.from_guide(model, MeanFieldGuide(model, z, group), num_draws=50)
    idata = to_inference_data(posterior, z, group, ["a", "b", "c"])
    assert idata.posterior["weights"].dims == ("chain", "draw", "group", "dim", "component")
    assert idata.posterior["weights"].shape == (1, 50, 3, 4, 2)
    assert idata.posterior["loc"].shape == (1, 50, 2, 4) and idata.posterior["df"].shape == (1, 50, 2, 4)
    assert idata.log_likelihood["z"].shape == (1, 50, 60)
    assert np.isfinite(loo(idata)["elpd_loo"])
