r"""Ancestral samples of the aggregate posterior, the input of every latent-space diagnostic.

For an evaluation set :math:`x_1, \dots, x_N` one pass of the guide gives

* the posteriors :math:`q(z \mid x_n)` (an :class:`~pyrovae.metrics.AggregatePosterior`),
* one code per sentence, :math:`z_n \sim q(z \mid x_n)`: ancestral samples of the aggregate
  posterior :math:`q(z) = \frac1N \sum_n q(z \mid x_n)` (first ``x_n`` from the data, then ``z``
  from its posterior; Barkhof 2021, section 4.2.1; Prokhorov et al. 2019, section 3.2),
* the rate of each sentence, :math:`R_n = \mathrm{KL}(q(z \mid x_n) \,\|\, p(z))` in nats: the
  analytic KL where one is registered for the (posterior, prior) pair, else the one-sample Monte
  Carlo value :math:`\log q(z_n \mid x_n) - \log p(z_n)` at the same code (as
  :mod:`pyrovae.infer.rate_distortion` accounts it),
* the prior :math:`p(z)`.

:class:`LatentSample` caches the per-sentence log-densities the estimators share (the
:math:`O(N^2 D)` mixture scores are computed once).
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Iterable

import torch
from pyro.distributions import Distribution
from torch.distributions import kl_divergence
from tqdm.auto import tqdm

from pyrovae.errors import DataError, UnsupportedModelError
from pyrovae.metrics.aggregate_posterior import (
    AggregatePosterior,
    check_scores_any_point,
    guide_args,
    guide_posterior,
)
from pyrovae.metrics.estimate import Estimate
from pyrovae.metrics.model_access import (
    evaluation_mode,
    owning_modules,
    parameter_device,
)


def model_prior(vae: Any) -> Distribution:
    """The prior ``vae.prior()`` with batch shape ``()`` and event shape ``[D]``.

    Raises:
        UnsupportedModelError: ``vae`` has no ``prior()`` returning a vector-valued distribution.
    """
    prior = getattr(vae, "prior", None)
    distribution = prior() if callable(prior) else None
    if not isinstance(distribution, torch.distributions.Distribution) or len(distribution.event_shape) != 1:
        raise UnsupportedModelError(
            f"latent diagnostics need a module whose prior() returns p(z) over vectors (as "
            f"TextVAE does); {type(vae).__name__} has none"
        )
    if distribution.batch_shape != ():
        raise UnsupportedModelError(
            f"the prior has batch shape {tuple(distribution.batch_shape)}; latent diagnostics "
            "need one p(z) shared by all sentences (batch shape ())"
        )
    return distribution


def sentence_rates(q: Distribution, prior: Distribution, z: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """``[B]`` rates :math:`\\mathrm{KL}(q(z|x_b) \\| p(z))` in nats and whether they are analytic.

    The analytic KL where one is registered, otherwise ``log q(z_b|x_b) - log p(z_b)`` at ``z``.
    """
    try:
        return kl_divergence(q, prior), True
    except NotImplementedError:
        return q.log_prob(z) - prior.log_prob(z), False


class LatentSample:
    """Posteriors, one ancestral code and the rate of every sentence, and the prior.

    Attributes:
        posterior: the aggregate posterior over the ``N`` sentences.
        codes: ``[N, D]`` float32, :math:`z_n \\sim q(z \\mid x_n)`.
        rates: ``[N]`` float64, nats per sentence.
        analytic_rate: whether the rates are closed-form KLs (else one-sample Monte Carlo).
        prior: :math:`p(z)`, batch shape ``()``.
        scoring_problem: why the posterior cannot score codes drawn for other sentences
            (planar flows), or None. Estimators that need :math:`q(z_m \\mid x_n)` then refuse.
    """

    def __init__(
        self,
        posterior: AggregatePosterior,
        codes: torch.Tensor,
        rates: torch.Tensor,
        prior: Distribution,
        analytic_rate: bool = True,
        scoring_problem: str | None = None,
    ) -> None:
        if codes.dim() != 2 or codes.shape[0] != posterior.num_points or rates.shape != codes.shape[:1]:
            raise ValueError(
                f"need [N, D] codes and [N] rates for the N = {posterior.num_points} posteriors, got "
                f"{tuple(codes.shape)} and {tuple(rates.shape)}"
            )
        self.posterior, self.codes, self.rates = posterior, codes, rates.double()
        self.prior, self.analytic_rate, self.scoring_problem = prior, analytic_rate, scoring_problem

    @classmethod
    @torch.no_grad()
    def collect(cls, vae: Any, batches: Iterable[Any], progress: bool = False) -> "LatentSample":
        """One pass of ``vae.guide`` over ``batches`` (each item is passed to the guide; a tuple is
        unpacked), in evaluation mode, batches moved to the device of the module's parameters.

        Raises:
            DataError: ``batches`` is empty or holds a single sentence.
            UnsupportedModelError: no ``prior()``, or a guide without exactly one vector latent.
        """
        prior = model_prior(vae)
        modules = owning_modules(vae)
        device = parameter_device(modules)
        distributions, codes, rates = [], [], []
        analytic = True
        try:
            check_scores_any_point(vae.guide)
            problem = None
        except UnsupportedModelError as error:
            problem = str(error)
        with evaluation_mode(modules):
            for batch in tqdm(batches, desc="posteriors", unit="batch", disable=not progress):
                args = tuple(a.to(device) if device is not None else a for a in guide_args(batch))
                q = guide_posterior(vae.guide, *args)
                z = q.sample()
                rate, exact = sentence_rates(q, prior, z)
                analytic = analytic and exact
                distributions.append(q)
                codes.append(z)
                rates.append(rate.double())
        if not distributions or sum(len(r) for r in rates) < 2:
            raise DataError("latent diagnostics need at least 2 sentences; the evaluation set has fewer")
        return cls(AggregatePosterior(distributions), torch.cat(codes), torch.cat(rates), prior, analytic, problem)

    @property
    def num_points(self) -> int:
        """``N``, the number of sentences."""
        return self.codes.shape[0]

    @property
    def log_num_points(self) -> float:
        """:math:`\\log N`, the ceiling of every mixture-based information estimate (nats)."""
        return math.log(self.num_points)

    def rate_estimate(self) -> Estimate:
        """The average rate :math:`\\frac1N \\sum_n R_n`, nats per sentence."""
        note = None if self.analytic_rate else "one-sample Monte Carlo KL (no analytic KL registered)"
        return Estimate.from_samples(self.rates, "nats/sentence", note)

    def require_scoring(self) -> None:
        """Raise :class:`UnsupportedModelError` when codes cannot be scored under other sentences' posteriors."""
        if self.scoring_problem is not None:
            raise UnsupportedModelError(self.scoring_problem)

    @cached_property
    def own_log_prob(self) -> torch.Tensor:
        """``[N]`` float64: :math:`\\log q(z_n \\mid x_n)`."""
        return self.posterior.conditional_log_prob(self.codes).double()

    @cached_property
    def aggregate_log_density(self) -> torch.Tensor:
        """``[N]`` float64: :math:`\\log \\hat q(z_n) = \\operatorname{logsumexp}_m \\log q(z_n \\mid x_m) - \\log N`."""
        self.require_scoring()
        return self.posterior.log_density(self.codes, dtype=torch.float64)

    @cached_property
    def aggregate_marginal_log_density(self) -> torch.Tensor:
        """``[N, D]`` float64: :math:`\\log \\hat q(z_{n,d})` under the mixture of marginals."""
        self.require_scoring()
        return self.posterior.marginal_log_density(self.codes)

    @cached_property
    def prior_log_prob(self) -> torch.Tensor:
        """``[N]`` float64: :math:`\\log p(z_n)`."""
        return self.prior.log_prob(self.codes).double()
