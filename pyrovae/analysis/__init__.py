"""Bayesian analysis of aggregate posteriors: a hierarchical mixed-membership model in Pyro.

Groups of latent codes (one group per trained run, plus samples from the prior) are explained by
``K`` shared components mixed with group-specific weights (Barkhof 2021, section 4.2.1 and
Appendix B). The fitted model orders the groups by how close they are to the prior, estimates
each group's density :math:`q_g(z)`, the marginal KL :math:`\\mathrm{KL}(q_g \\| p)` and the
index-code mutual information, and compares hypotheses with ArviZ (PSIS-LOO). See
``docs/analysis.md``.

Modules: :mod:`~pyrovae.analysis.mixed_membership` (the model), :mod:`~pyrovae.analysis.families`
(component distributions), :mod:`~pyrovae.analysis.guide` (the mean-field guide),
:mod:`~pyrovae.analysis.fit` (SVI and its convergence check), :mod:`~pyrovae.analysis.posterior`
(parameter draws), :mod:`~pyrovae.analysis.density` (densities, marginal KL, index-code MI),
:mod:`~pyrovae.analysis.samples` and :mod:`~pyrovae.analysis.collect` (latent samples of trained
runs, safetensors), :mod:`~pyrovae.analysis.groups`, :mod:`~pyrovae.analysis.intervals` (credible intervals),
:mod:`~pyrovae.analysis.summary` (the analysis), :mod:`~pyrovae.analysis.hypotheses` (LOO comparisons),
:mod:`~pyrovae.analysis.inference_data` (the ArviZ conversion), :mod:`~pyrovae.analysis.plots`,
:mod:`~pyrovae.analysis.report`. ArviZ and matplotlib are imported only when used.
"""

from pyrovae.analysis.collect import sample_latents, sample_prior
from pyrovae.analysis.density import (
    MarginalKL,
    marginal_kl,
    posterior_predictive_log_density,
)
from pyrovae.analysis.families import (
    FAMILIES,
    ComponentFamily,
    NormalFamily,
    StudentTFamily,
    get_family,
)
from pyrovae.analysis.fit import (
    ConvergenceWarning,
    FitOptions,
    FitResult,
    check_convergence,
    fit,
)
from pyrovae.analysis.groups import GroupedSamples
from pyrovae.analysis.guide import MeanFieldGuide
from pyrovae.analysis.hypotheses import HypothesisComparison, compare_with_reference
from pyrovae.analysis.inference_data import to_inference_data
from pyrovae.analysis.intervals import CredibleInterval
from pyrovae.analysis.mixed_membership import MixedMembership, MixedMembershipPriors
from pyrovae.analysis.posterior import MixedMembershipPosterior
from pyrovae.analysis.report import format_report, write_report
from pyrovae.analysis.samples import LatentSamples, RunLatents
from pyrovae.analysis.summary import Analysis, AnalysisOptions, GroupSummary, analyse

__all__ = [
    "FAMILIES",
    "Analysis",
    "AnalysisOptions",
    "ComponentFamily",
    "ConvergenceWarning",
    "CredibleInterval",
    "FitOptions",
    "FitResult",
    "GroupSummary",
    "GroupedSamples",
    "HypothesisComparison",
    "LatentSamples",
    "MarginalKL",
    "MeanFieldGuide",
    "MixedMembership",
    "MixedMembershipPosterior",
    "MixedMembershipPriors",
    "NormalFamily",
    "RunLatents",
    "StudentTFamily",
    "analyse",
    "check_convergence",
    "compare_with_reference",
    "fit",
    "format_report",
    "get_family",
    "marginal_kl",
    "posterior_predictive_log_density",
    "sample_latents",
    "sample_prior",
    "to_inference_data",
    "write_report",
]
