r"""beta_C: pull the rate toward a chosen capacity :math:`C`.

.. math:: \mathcal{J} = D + \beta N \, |\bar R - C_t|

(Burgess et al. 2018; Prokhorov et al. 2019, eq. 2, there written per sentence), with :math:`\bar R` the batch-average rate
and :math:`C_t` either constant or ramped linearly from ``capacity_start`` to ``capacity`` over
``ramp_steps`` optimizer steps, as Burgess et al. do. Prokhorov et al. report runs ending with
:math:`C - 1 \le \mathrm{KL} \le C + 1`.

References:
    [1] Burgess et al., "Understanding disentangling in beta-VAE" (arXiv:1804.03599).
    [2] Prokhorov et al., "On the Importance of the Kullback-Leibler Divergence Term in
        Variational Autoencoders for Text Generation", WNGT 2019 (arXiv:1909.13668).
"""

from __future__ import annotations

import torch

from pyrovae.errors import ConfigError
from pyrovae.infer.objective import OBJECTIVES, Objective
from pyrovae.infer.rate_distortion import RateDistortion
from pyrovae.infer.schedules import Constant, LinearWarmup


@OBJECTIVES.register("beta_c")
class BetaC(Objective):
    """``D + beta * |R - C|`` per sentence, ``C`` in nats (optionally ramped)."""

    fixed_options = ("kl_weight",)  #: the weight is set by the objective itself

    def __init__(
        self,
        capacity: float = 15.0,
        beta: float = 1.0,
        capacity_start: float | None = None,
        ramp_steps: int = 0,
        **options,
    ) -> None:
        if "kl_weight" in options:
            raise ConfigError("beta_c weights |R - C| by beta: set objective.beta instead of kl_weight")
        super().__init__(kl_weight=float(beta), **options)
        if capacity < 0:
            raise ConfigError(f"capacity C is a non-negative number of nats, got {capacity}")
        if ramp_steps > 0:
            start = 0.0 if capacity_start is None else float(capacity_start)
            self.capacity = LinearWarmup(ramp_steps, start, float(capacity))
        else:
            self.capacity = Constant(float(capacity))

    def rate_term(self, terms: RateDistortion) -> torch.Tensor:
        n = terms.num_data
        return n * (terms.rate / n - self.capacity.value()).abs()

    def state_summary(self) -> dict[str, float]:
        return {"beta": self.kl_weight.value(), "capacity": self.capacity.value()}
