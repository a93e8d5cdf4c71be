"""Estimators with standard errors: importance-weighted likelihood, active units, mutual
information, the aggregate posterior, and :func:`evaluate`, the standard report."""

from pyrovae.infer.importance import importance_log_likelihood
from pyrovae.metrics.active_units import (
    ActiveUnits,
    active_units,
    posterior_mean,
    posterior_means,
)
from pyrovae.metrics.aggregate_posterior import (
    AggregatePosterior,
    check_scores_any_point,
    guide_posterior,
)
from pyrovae.metrics.estimate import Estimate
from pyrovae.metrics.evaluate import evaluate
from pyrovae.metrics.mutual_information import mutual_information

__all__ = [
    "ActiveUnits",
    "AggregatePosterior",
    "Estimate",
    "active_units",
    "check_scores_any_point",
    "evaluate",
    "guide_posterior",
    "importance_log_likelihood",
    "mutual_information",
    "posterior_mean",
    "posterior_means",
]
