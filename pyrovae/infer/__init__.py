"""Objectives as Pyro ELBOs over traces, the rate/distortion accounting they share, and
importance-weighted likelihood estimation."""

from pyrovae.infer.elbo import ELBO
from pyrovae.infer.importance import importance_log_likelihood
from pyrovae.infer.objective import Objective, TermsSummary
from pyrovae.infer.rate_distortion import RateDistortion, SiteRate, rate_distortion
from pyrovae.infer.registry import OBJECTIVES

__all__ = [
    "ELBO",
    "OBJECTIVES",
    "Objective",
    "RateDistortion",
    "SiteRate",
    "TermsSummary",
    "importance_log_likelihood",
    "rate_distortion",
]
