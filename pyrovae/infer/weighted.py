r"""KL-weighted ELBOs: the beta-VAE and KL annealing.

.. math:: \mathcal{J}_t = D + \beta_t R

with constant :math:`\beta` (Higgins et al. 2017) or :math:`\beta_t` following a schedule: linear
warm-up (Bowman et al. 2016), cyclical (Fu et al. 2019) or the per-epoch scheme of Li et al. 2020
as used in the Barkhof thesis (half an epoch at 0, a quarter rising to 1, a quarter at 1).
Both are :class:`~pyrovae.infer.Objective` with a ``kl_weight``; they exist as names so the
command line can ask for them (``--set objective=beta objective.beta=0.5``,
``--set objective=annealing objective.schedule='cyclical(cycles=4)'``).

References:
    [1] Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a Constrained Variational
        Framework", ICLR 2017.
    [2] Bowman et al., "Generating Sentences from a Continuous Space" (arXiv:1511.06349).
    [3] Fu et al., "Cyclical Annealing Schedule: A Simple Approach to Mitigating KL Vanishing",
        NAACL 2019 (arXiv:1903.10145).
"""

from __future__ import annotations

from pyrovae.errors import ConfigError
from pyrovae.infer.objective import OBJECTIVES, Objective
from pyrovae.infer.schedules import Schedule


@OBJECTIVES.register("beta")
def beta_vae(beta: float = 1.0, **options) -> Objective:
    """``D + beta R`` with a constant ``beta`` [1]; ``beta=1`` is the ELBO."""
    _refuse_kl_weight(options, "beta")
    return Objective(kl_weight=float(beta), **options)


@OBJECTIVES.register("annealing")
def kl_annealing(schedule: str | Schedule = "linear(steps=10000)", **options) -> Objective:
    """``D + beta_t R`` with ``beta_t`` from ``schedule``: ``linear(steps=N)`` [2],
    ``cyclical(cycles=4,ratio_increase=0.5,ratio_zero=0)`` [3] or ``epochwise``."""
    _refuse_kl_weight(options, "schedule")
    return Objective(kl_weight=schedule, **options)


beta_vae.fixed_options = kl_annealing.fixed_options = ("kl_weight",)


def _refuse_kl_weight(options: dict, instead: str) -> None:
    if "kl_weight" in options:
        raise ConfigError(f"this objective sets the KL weight from `{instead}`: drop kl_weight")
