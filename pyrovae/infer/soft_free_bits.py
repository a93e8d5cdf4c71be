r"""Soft free bits: a KL weight adapted up or down around a target rate.

Chen et al. (2017, appendix C) keep the rate near a target :math:`\lambda` with a KL weight
:math:`w` instead of a hard floor: after each optimizer step, :math:`w \leftarrow w (1 + \delta)` when the
step's average rate (over its accumulated batches) exceeds :math:`(1 + \epsilon)\lambda`, :math:`w \leftarrow w / (1 + \delta)`
when it falls below :math:`(1 - \epsilon)\lambda`, with :math:`w` kept in ``[min_weight, 1]``
(it never exceeds the ELBO's weight). The loss is :math:`D + w R`. The weight is a buffer, so it is
checkpointed and logged.

Reference: Chen et al., "Variational Lossy Autoencoder", ICLR 2017 (arXiv:1611.02731).
"""

from __future__ import annotations

import torch

from pyrovae.errors import ConfigError
from pyrovae.infer.objective import OBJECTIVES, Objective, TermsSummary
from pyrovae.infer.rate_distortion import RateDistortion


@OBJECTIVES.register("soft_free_bits")
class SoftFreeBits(Objective):
    """``D + w R`` with ``w`` adapted toward a target rate (nats per sentence)."""

    fixed_options = ("kl_weight",)  #: the weight is set by the objective itself

    def __init__(
        self, target: float = 5.0, step: float = 0.05, tolerance: float = 0.1, min_weight: float = 1e-3, **options
    ) -> None:
        if "kl_weight" in options:
            raise ConfigError("soft free bits adapt their own KL weight: drop kl_weight")
        super().__init__(**options)
        if target < 0 or step <= 0 or not 0 <= tolerance < 1 or not 0 < min_weight <= 1:
            raise ConfigError(
                "soft free bits need target >= 0, step > 0, 0 <= tolerance < 1 and 0 < min_weight <= 1"
            )
        self.target, self.step, self.tolerance, self.min_weight = float(target), float(step), float(tolerance), float(min_weight)
        self.register_buffer("weight", torch.tensor(1.0))

    def loss_from_terms(self, terms: RateDistortion) -> torch.Tensor:
        return terms.distortion + self.weight * terms.rate

    def advance(self, terms: TermsSummary | None = None) -> None:
        super().advance(terms)
        if terms is None:
            return
        rate = float(terms.rate)
        if rate > (1 + self.tolerance) * self.target:
            self.weight.mul_(1 + self.step)
        elif rate < (1 - self.tolerance) * self.target:
            self.weight.div_(1 + self.step)
        self.weight.clamp_(self.min_weight, 1.0)

    def state_summary(self) -> dict[str, float]:
        return {"kl_weight": float(self.weight), "target": self.target}
