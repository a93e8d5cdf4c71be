"""Objectives as Pyro ELBOs over traces, and the rate/distortion accounting they share."""

from pyrovae.infer.elbo import ELBO
from pyrovae.infer.objective import Objective, TermsSummary
from pyrovae.infer.registry import OBJECTIVES
from pyrovae.infer.rate_distortion import RateDistortion, SiteRate, rate_distortion

__all__ = [
    "ELBO",
    "OBJECTIVES", "Objective", "RateDistortion", "SiteRate", "TermsSummary", "rate_distortion"]
