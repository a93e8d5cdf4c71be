r"""Comparing hypotheses about a group's distribution with PSIS-LOO: "equals the reference" or not.

Two mixed-membership models are fitted to the same observations (all groups):

* **differs** (the free model): every group has its own weights :math:`\theta_g` over the ``K``
  shared components;
* **equal** (the tied model): the tested group ``g`` uses the reference group's weights,
  :math:`\theta_g = \theta_{\text{ref}}`, so its distribution *is* the reference's mixture.
  With the prior's samples as reference this is the hypothesis :math:`q_g(z) = p(z)` within the
  model family. The components are still shared and fitted by both models.

Both are scored by their expected log pointwise predictive density estimated with PSIS-LOO
(:func:`pyrovae.analysis.inference_data.loo`; Vehtari, Gelman & Gabry 2017, arXiv:1507.04544) on
the same observations, and ranked by ``az.compare``. The tied model is nested in the free one, so
the free model always fits at least as well in-sample; LOO penalises its extra weights by their
effective number. The decision rule is parsimonious: **"differs" is preferred only when its
``elpd_loo`` exceeds the tied model's by more than** ``threshold`` **standard errors of the
difference** (``dse``, default 2), otherwise "equal" is (Vehtari et al.'s guidance that differences
within a few ``dse`` do not separate models; Sivula et al. 2020, arXiv:2008.10296). Under the
equality hypothesis the expected difference is about minus half the number of extra effective
parameters, so "equal" usually also ranks first.

The ``elpd`` differences are in nats for the whole data set (summed over observations).
LOO with draws from a variational posterior treats them as exact posterior draws; Pareto-k
diagnostics in the ``az.loo`` output flag observations where that breaks down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from pyrovae.analysis.fit import FitOptions, fit
from pyrovae.analysis.inference_data import compare, to_inference_data
from pyrovae.analysis.mixed_membership import MixedMembership
from pyrovae.analysis.posterior import MixedMembershipPosterior
from pyrovae.errors import ConfigError

EQUAL, DIFFERS = "equal", "differs"


@dataclass
class HypothesisComparison:
    """The outcome of :func:`compare_with_reference`.

    Attributes:
        group, reference: the group names.
        preferred: ``"equal"`` or ``"differs"`` (decision rule in the module docstring).
        elpd_difference: ``elpd_loo(differs) - elpd_loo(equal)``, nats.
        standard_error: ``dse``, the standard error of that difference.
        threshold: the number of standard errors required to prefer ``"differs"``.
        table: the ``az.compare`` table (a pandas DataFrame, rows ``differs`` and ``equal``).
    """

    group: str
    reference: str
    preferred: str
    elpd_difference: float
    standard_error: float
    threshold: float
    table: Any

    @property
    def ranked_first(self) -> str:
        """The hypothesis ``az.compare`` ranks first (highest ``elpd_loo``)."""
        return str(self.table.index[0])

    def describe(self) -> str:
        verb = "equals" if self.preferred == EQUAL else "differs from"
        return (
            f"{self.group} {verb} {self.reference}: elpd_loo(differs) - elpd_loo(equal) = "
            f"{self.elpd_difference:.2f} ± {self.standard_error:.2f} nats (preferring 'differs' needs "
            f"> {self.threshold:g} standard errors)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "reference": self.reference,
            "preferred": self.preferred,
            "ranked_first": self.ranked_first,
            "elpd_difference": self.elpd_difference,
            "standard_error": self.standard_error,
            "threshold": self.threshold,
            "unit": "nats",
            "table": {
                str(name): {str(k): _plain(v) for k, v in row.items()} for name, row in self.table.iterrows()
            },
        }


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)


def compare_with_reference(
    free: MixedMembershipPosterior,
    z: torch.Tensor,
    group: torch.Tensor,
    group_names: list[str],
    tested: str,
    reference: str,
    options: FitOptions | None = None,
    num_draws: int = 1000,
    threshold: float = 2.0,
    free_inference_data: Any = None,
) -> HypothesisComparison:
    """Fit the tied model for ``tested`` and compare it with the free model by PSIS-LOO.

    Args:
        free: draws of the fitted free model (each group its own weights).
        z, group, group_names: the observations the free model was fitted to.
        tested, reference: group names; the tied model gives ``tested`` the weights of
            ``reference``.
        options: SVI options of the tied fit (use the free fit's).
        num_draws: draws from the tied model's guide.
        threshold: standard errors of the elpd difference needed to prefer "differs".
        free_inference_data: the free model's ``InferenceData`` when already converted.
    """
    for name in (tested, reference):
        if name not in group_names:
            raise ConfigError(f"no group {name!r}; the groups are {group_names}")
    if tested == reference:
        raise ConfigError(f"cannot compare group {tested!r} with itself")
    model: MixedMembership = free.model
    tied_model = model.tie(group_names.index(tested), group_names.index(reference))
    tied_fit = fit(tied_model, z, group, options)
    tied = MixedMembershipPosterior.from_guide(tied_model, tied_fit.guide, num_draws)
    if free_inference_data is None:
        free_inference_data = to_inference_data(free, z, group, group_names)
    table = compare({DIFFERS: free_inference_data, EQUAL: to_inference_data(tied, z, group, group_names)})
    elpd = table["elpd_loo"]
    difference = float(elpd[DIFFERS] - elpd[EQUAL])
    standard_error = float(table["dse"].max())
    preferred = DIFFERS if difference > threshold * standard_error else EQUAL
    return HypothesisComparison(tested, reference, preferred, difference, standard_error, threshold, table)
