r"""Free bits: the rate below a target costs nothing.

On the total rate (Kingma et al. 2016):

.. math:: \mathcal{J} = D + N \max(\lambda, \bar R),

and per latent dimension (Kingma et al. 2016; Barkhof thesis eq. 4.1, there per data point; Li et al. 2020):

.. math:: \mathcal{J} = D + N \sum_d \max(\lambda_d, \overline{\mathrm{KL}}_d),

where :math:`\bar R` and :math:`\overline{\mathrm{KL}}_d` are averages over the batch's
:math:`N` data points (the "batch" grouping of Kingma et al.), so a dimension is free only while
its average rate is under its target. The per-dimension variant needs a posterior and prior that
factorise over dimensions; with a flow posterior it raises an error naming the latent site.
Composes with annealing through ``kl_weight`` (as Optimus does: cyclical schedule + per-dim free
bits).

References:
    [1] Kingma et al., "Improved Variational Inference with Inverse Autoregressive Flow",
        NIPS 2016 (arXiv:1606.04934), appendix C.8.
    [2] Li et al., "Optimus: Organizing Sentences via Pre-trained Modeling of a Latent Space",
        EMNLP 2020 (arXiv:2004.04092).
"""

from __future__ import annotations

import torch

from pyrovae.errors import ConfigError
from pyrovae.infer.objective import OBJECTIVES, Objective
from pyrovae.infer.rate_distortion import RateDistortion


@OBJECTIVES.register("free_bits")
class FreeBits(Objective):
    """Free bits on the total rate (``total=lambda``) or per dimension (``per_dim=lambda``), nats."""

    def __init__(self, per_dim: float | None = None, total: float | None = None, **options) -> None:
        super().__init__(**options)
        if (per_dim is None) == (total is None):
            raise ConfigError(
                "free bits need exactly one target: per_dim=LAMBDA (nats per dimension) or "
                "total=LAMBDA (nats per sentence)"
            )
        target = per_dim if per_dim is not None else total
        if target < 0:
            raise ConfigError(f"a free-bits target is a non-negative number of nats, got {target}")
        self.per_dim, self.total = per_dim, total

    def rate_term(self, terms: RateDistortion) -> torch.Tensor:
        shaped = torch.zeros((), device=terms.distortion.device)
        for site in terms.rates.values():
            if self.per_dim is not None:
                kl_per_dim = site.require_per_dim() / site.count
                shaped = shaped + site.count * kl_per_dim.clamp(min=self.per_dim).sum()
            else:
                shaped = shaped + site.count * (site.total / site.count).clamp(min=self.total)
        return shaped

    def state_summary(self) -> dict[str, float]:
        target = {"target_per_dim": self.per_dim} if self.per_dim is not None else {"target_total": self.total}
        return {**super().state_summary(), **target}
