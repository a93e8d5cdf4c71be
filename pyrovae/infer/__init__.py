"""Objectives as Pyro ELBOs over traces, the rate/distortion accounting they share, and
importance-weighted likelihood estimation."""

from pyrovae.infer.beta_c import BetaC
from pyrovae.infer.elbo import ELBO
from pyrovae.infer.free_bits import FreeBits
from pyrovae.infer.importance import importance_log_likelihood
from pyrovae.infer.info_vae import InfoVAE
from pyrovae.infer.mdr import MDR
from pyrovae.infer.objective import OBJECTIVES, Objective, TermsSummary
from pyrovae.infer.rate_distortion import RateDistortion, SiteRate, rate_distortion
from pyrovae.infer.schedules import (
    Constant,
    Cyclical,
    EpochwiseAnnealing,
    LinearWarmup,
    Schedule,
)
from pyrovae.infer.soft_free_bits import SoftFreeBits
from pyrovae.infer.weighted import beta_vae, kl_annealing

__all__ = [
    "BetaC",
    "Constant",
    "Cyclical",
    "ELBO",
    "EpochwiseAnnealing",
    "FreeBits",
    "InfoVAE",
    "LinearWarmup",
    "MDR",
    "OBJECTIVES",
    "Objective",
    "RateDistortion",
    "Schedule",
    "SoftFreeBits",
    "SiteRate",
    "TermsSummary",
    "beta_vae",
    "importance_log_likelihood",
    "kl_annealing",
    "rate_distortion",
]
