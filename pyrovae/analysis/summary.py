r"""``analyse``: fit the mixed-membership model to grouped codes and summarise every group.

The analysis of Barkhof (2021), section 4.2.1, for any :class:`~pyrovae.analysis.groups.GroupedSamples`
with a reference group (samples from the prior):

1. fit the model (:func:`pyrovae.analysis.fit.fit`) and draw ``S`` parameter sets from the guide;
2. relabel components so that, in every block, component 0 is the reference group's largest
   ("the prior's component"), 1 the next, ...;
3. per group: mixing weights with credible intervals; the weight on the prior's component; the
   **overlap** with the reference's mixture :math:`\sum_k \min(\theta_{gk}, \theta_{\text{ref},k})`
   (1 when the group mixes the components exactly as the prior samples do, 0 when they share
   none; robust to the prior being spread over several components); the marginal KL
   :math:`\mathrm{KL}(q_g\|p)` and the index-code MI :math:`R - \mathrm{KL}`
   (:mod:`pyrovae.analysis.density`); in the univariate model, weights and overlaps are averaged
   over dimensions and the KL is also given per dimension;
4. optionally, for every non-reference group, the PSIS-LOO comparison of "equals the reference"
   with "differs" (:mod:`pyrovae.analysis.hypotheses`).

A group **shares the prior's mixture** ("yes") when the lower end of the credible interval of its
overlap exceeds 1/2, "no" when the upper end is below 1/2, "partly" otherwise. (The overlap, not the
weight on component 0, decides: a prior spread over several similar components, as happens per
dimension in the univariate model, would otherwise share nothing with itself.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import torch

from pyrovae.analysis.density import marginal_kl
from pyrovae.analysis.families import ComponentFamily
from pyrovae.analysis.fit import FitOptions, FitResult, fit
from pyrovae.analysis.groups import GroupedSamples
from pyrovae.analysis.hypotheses import HypothesisComparison, compare_with_reference
from pyrovae.analysis.intervals import DEFAULT_PROB, CredibleInterval
from pyrovae.analysis.mixed_membership import MixedMembership, MixedMembershipPriors
from pyrovae.analysis.posterior import MixedMembershipPosterior
from pyrovae.errors import ConfigError
from pyrovae.metrics.estimate import Estimate


@dataclass(frozen=True)
class AnalysisOptions:
    """Settings of :func:`analyse`.

    Attributes:
        num_components: ``K``.
        family: a :class:`~pyrovae.analysis.families.ComponentFamily` or its name (``studentt``,
            ``normal``).
        univariate: one model per dimension instead of one in :math:`\\mathbb R^D`.
        priors: the model's prior hyperparameters.
        fit: SVI settings (steps, learning rates, mini-batch size, seed).
        num_draws: parameter draws from the guide for every summary.
        prob: credible mass of the intervals.
        compare: run the PSIS-LOO hypothesis comparison for every non-reference group (one more
            fit per group).
        threshold: standard errors of the elpd difference needed to prefer "differs".
    """

    num_components: int = 5
    family: str | ComponentFamily = "studentt"
    univariate: bool = False
    priors: MixedMembershipPriors = field(default_factory=MixedMembershipPriors)
    fit: FitOptions = field(default_factory=FitOptions)
    num_draws: int = 1000
    prob: float = DEFAULT_PROB
    compare: bool = False
    threshold: float = 2.0


@dataclass
class GroupSummary:
    """What the fitted model says about one group (nats for KL, rate and MI; codes are per sentence).

    Attributes:
        name, num_samples: the group and its number of codes.
        weights: ``[P][K]`` credible intervals of the mixing weights (one block in the joint model).
        prior_component_weight: weight on component 0, the reference's largest (mean over blocks).
        overlap: :math:`\\sum_k \\min(\\theta_{gk}, \\theta_{\\text{ref},k})` (mean over blocks).
        marginal_kl: :math:`\\mathrm{KL}(q_g \\| p)`.
        marginal_kl_per_dim: per-dimension KLs (univariate model with a factorising prior), else [].
        rate: the mean rate of the codes' sentences with its standard error, or None (prior draws).
        index_code_mi: :math:`R - \\mathrm{KL}`, or None without rates.
        comparison: the hypothesis comparison with the reference, when run.
    """

    name: str
    num_samples: int
    weights: list[list[CredibleInterval]]
    prior_component_weight: CredibleInterval | None
    overlap: CredibleInterval | None
    marginal_kl: CredibleInterval
    marginal_kl_per_dim: list[CredibleInterval]
    rate: Estimate | None
    index_code_mi: CredibleInterval | None
    comparison: HypothesisComparison | None = None

    @property
    def shares_prior(self) -> str | None:
        """``"yes"``, ``"no"`` or ``"partly"`` (module docstring); None without a reference."""
        if self.overlap is None:
            return None
        return "yes" if self.overlap.lower > 0.5 else "no" if self.overlap.upper < 0.5 else "partly"

    def to_dict(self) -> dict[str, Any]:
        def plain(value):
            return None if value is None else value.to_dict()

        return {
            "name": self.name,
            "num_samples": self.num_samples,
            "weights": [[w.to_dict() for w in block] for block in self.weights],
            "prior_component_weight": plain(self.prior_component_weight),
            "shares_prior": self.shares_prior,
            "overlap": plain(self.overlap),
            "marginal_kl": plain(self.marginal_kl),
            "marginal_kl_per_dim": [kl.to_dict() for kl in self.marginal_kl_per_dim],
            "rate": plain(self.rate),
            "index_code_mi": plain(self.index_code_mi),
            "comparison": plain(self.comparison),
        }


@dataclass
class Analysis:
    r"""A fitted analysis: the data, the fit, the (relabelled) posterior draws and the summaries.

    Attributes:
        marginal_kl_draws: ``[S, G]`` posterior draws of every group's marginal KL.
        log_likelihood: ``[S, N]`` :math:`\log q^{(s)}_{g_n}(z_n)` of every code.
    """

    groups: GroupedSamples
    options: AnalysisOptions
    fit: FitResult
    posterior: MixedMembershipPosterior
    summaries: dict[str, GroupSummary]
    marginal_kl_draws: torch.Tensor
    log_likelihood: torch.Tensor

    @cached_property
    def inference_data(self):
        """The posterior as ``arviz.InferenceData`` (with ``marginal_kl`` per group)."""
        from pyrovae.analysis.inference_data import to_inference_data

        return to_inference_data(
            self.posterior,
            self.groups.z,
            self.groups.group,
            self.groups.names,
            derived={"marginal_kl": self.marginal_kl_draws},
            log_likelihood=self.log_likelihood,
            attrs={"model": repr(self.posterior.model), "svi_steps": self.fit.options.num_steps},
        )


def _intervals(draws: torch.Tensor, prob: float) -> list[CredibleInterval]:
    """One interval per column of ``draws [S, K]``."""
    return [CredibleInterval.from_draws(draws[:, i], prob) for i in range(draws.shape[1])]


def analyse(groups: GroupedSamples, options: AnalysisOptions | None = None) -> Analysis:
    """Fit and summarise (module docstring).

    Raises:
        DataError, ConfigError: bad groups or options (mismatched dimensions, empty groups, ...).

    Warns:
        ConvergenceWarning: when SVI has not settled.
    """
    options = options or AnalysisOptions()
    if options.compare and groups.reference is None:
        raise ConfigError(
            "the hypothesis comparison needs a reference group of prior samples (GroupedSamples(..., "
            "reference=NAME); on the command line, --prior-samples above 0)"
        )
    model = MixedMembership(
        groups.num_groups,
        groups.latent_dim,
        options.num_components,
        options.family,
        options.univariate,
        options.priors,
    )
    z, group = groups.z, groups.group
    result = fit(model, z, group, options.fit)
    posterior = MixedMembershipPosterior.from_guide(model, result.guide, options.num_draws)
    ref = groups.reference_index
    if ref is not None:
        posterior = posterior.order_by_group(ref)
    weights = posterior.group_weights()  # [S, G, P, K]
    log_likelihood = posterior.log_likelihood(z, group)  # [S, N], shared by the KLs and ArviZ
    prob = options.prob
    summaries: dict[str, GroupSummary] = {}
    kl_draws = []
    for g, (name, samples) in enumerate(groups.groups.items()):
        seed = options.fit.seed + g
        if options.univariate and samples.log_prior_dims is not None:
            kl = marginal_kl(posterior, samples.z.float(), g, samples.log_prior_dims, seed=seed)
        else:
            rows = group == g
            kl = marginal_kl(posterior, z[rows], g, samples.log_prior, seed=seed, log_q=log_likelihood[:, rows])
        kl_draws.append(kl.draws)
        own = weights[:, g]  # [S, P, K]
        prior_weight = overlap = None
        if ref is not None:
            prior_weight = CredibleInterval.from_draws(own[..., 0].mean(-1), prob)
            overlap = CredibleInterval.from_draws(torch.minimum(own, weights[:, ref]).sum(-1).mean(-1), prob)
        rate = mi = None
        if samples.rate is not None:
            rate = Estimate.from_samples(samples.rate, "nats/sentence")
            mi = CredibleInterval.from_draws(kl.index_code_mutual_information(samples.rate), prob, "nats")
        summaries[name] = GroupSummary(
            name,
            samples.num_samples,
            [_intervals(own[:, p], prob) for p in range(own.shape[1])],
            prior_weight,
            overlap,
            kl.interval(prob),
            kl.per_block_intervals(prob) if options.univariate else [],
            rate,
            mi,
        )
    analysis = Analysis(groups, options, result, posterior, summaries, torch.stack(kl_draws, -1), log_likelihood)
    if options.compare:
        for name in groups.names:
            if name != groups.reference:
                summaries[name].comparison = compare_with_reference(
                    posterior,
                    z,
                    group,
                    groups.names,
                    name,
                    groups.reference,
                    options.fit,
                    options.num_draws,
                    options.threshold,
                    free_inference_data=analysis.inference_data,
                )
    return analysis
