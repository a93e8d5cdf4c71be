"""Synthetic groups with known answers, and analyses fitted once per session (SVI takes seconds).

SVI on these small problems runs single-threaded: a step's tensors are too small for intra-op
parallelism to pay, and on a busy machine a second thread makes it many times slower.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import pytest
import torch

from pyrovae.analysis import (
    AnalysisOptions,
    FitOptions,
    GroupedSamples,
    LatentSamples,
    analyse,
)

#: codes per group: small enough for seconds of SVI, large enough for intervals of ~0.1 nats.
N = 500
#: a shift with ||mu||^2 / 2 = 1 nat in every dimension count.
KL_SHIFTED = 1.0


def standard_normal_samples(z: torch.Tensor, rate: float | None = None) -> LatentSamples:
    """Codes with their log density under p = N(0, I) (total and per dimension)."""
    normal = torch.distributions.Normal(0.0, 1.0)
    per_dim = normal.log_prob(z)
    rates = None if rate is None else torch.full((z.shape[0],), rate)
    return LatentSamples(z, per_dim.sum(-1), per_dim, rates)


def shifted_groups(dim: int, seed: int = 0) -> GroupedSamples:
    """``prior`` and ``same`` ~ N(0, I); ``shifted`` ~ N(mu, I) with KL(N(mu, I) || N(0, I)) = 1 nat."""
    generator = torch.Generator().manual_seed(seed)
    mu = torch.full((dim,), math.sqrt(2 * KL_SHIFTED / dim))
    return GroupedSamples(
        {
            "prior": standard_normal_samples(torch.randn(N, dim, generator=generator)),
            "same": standard_normal_samples(torch.randn(N, dim, generator=generator), rate=3.0),
            "shifted": standard_normal_samples(torch.randn(N, dim, generator=generator) + mu, rate=5.0),
        },
        reference="prior",
    )


@contextmanager
def single_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _single_thread():
    with single_thread():
        yield


def quick_options(**changes) -> AnalysisOptions:
    fit = FitOptions(num_steps=300, subsample_size=None, seed=0)
    return AnalysisOptions(**{"num_components": 3, "fit": fit, "num_draws": 500, **changes})


@pytest.fixture(scope="session")
def analysis_8d():
    """The joint model in R^8 with the LOO comparison of both non-reference groups."""
    with single_thread():
        return analyse(shifted_groups(8), quick_options(compare=True))


@pytest.fixture(scope="session")
def analysis_1d():
    """In one dimension the univariate and the joint model coincide: this runs the univariate path."""
    with single_thread():
        return analyse(shifted_groups(1), quick_options(univariate=True))
