"""The plain evidence lower bound as a pyrovae objective."""

from __future__ import annotations

import math

from pyrovae.infer.objective import Objective
from pyrovae.infer.registry import OBJECTIVES


@OBJECTIVES.register("elbo")
class ELBO(Objective):
    r"""``loss = D + R = -ELBO``: the evidence lower bound of Kingma & Welling 2014.

    .. math:: \mathcal{L}(x) = \mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))

    With ``analytic_kl=False`` this equals :class:`pyro.infer.Trace_ELBO` in value and gradient;
    with ``analytic_kl=True`` (default) it equals :class:`pyro.infer.TraceMeanField_ELBO`.

    Reference: Kingma & Welling, "Auto-Encoding Variational Bayes" (arXiv:1312.6114).
    """

    def __init__(
        self,
        num_particles: int = 1,
        vectorize_particles: bool = False,
        max_plate_nesting: float = math.inf,
        analytic_kl: bool = True,
    ) -> None:
        super().__init__(num_particles, vectorize_particles, max_plate_nesting, analytic_kl)

    def state_summary(self) -> dict[str, float]:
        return {}
