r"""Minimum Desired Rate: the ELBO subject to a rate constraint, with a learned multiplier.

Pelsmaeker & Aziz (2019) maximise the ELBO subject to :math:`\bar R \ge r` through the Lagrangian
(Barkhof thesis eq. 2.29)

.. math::
    \max_{\theta,\phi} \min_{u \ge 0} \; \mathrm{ELBO} - u\,(r - \bar R),

i.e. the model minimises :math:`\mathcal{J} = D + R + N u (r - \bar R)` while the multiplier
:math:`u` follows gradient *ascent* on :math:`\mathcal{J}`: it grows while the constraint is
violated (:math:`\bar R < r`) and shrinks back to 0 once it holds. Here :math:`u` is a parameter
of the objective; a gradient reversal makes a descent step an ascent step for :math:`u`, and
:meth:`advance` projects it back onto :math:`u \ge 0` after every step. The trainer updates it
with its own optimizer (``objective_optimizer``, Adam by default, step ``objective_lr``; see
:func:`pyrovae.train.optim.build_dual_optimizer` for why not plain SGD) and leaves it out of
gradient clipping; with ``objective_optimizer=sgd`` each step is
:math:`u \leftarrow \max(0, u + \eta\,(r - \bar R))`. The multiplier is logged and checkpointed.

With ``per_dim=r_d`` each latent dimension has its own constraint
:math:`\overline{\mathrm{KL}}_d \ge r_d` and multiplier :math:`u_d`, an extension: the thesis's MDR
constrains the total rate and only reports its target divided by the number of dimensions (section
4.2.1); this needs a factorised posterior.

Reference: Pelsmaeker & Aziz, "Effective Estimation of Deep Generative Language Models",
ACL 2020 (arXiv:1904.08194).
"""

from __future__ import annotations

import torch
from torch import nn

from pyrovae.errors import ConfigError
from pyrovae.infer.objective import OBJECTIVES, Objective, TermsSummary
from pyrovae.infer.rate_distortion import RateDistortion


class _ReverseGradient(torch.autograd.Function):
    """Identity forward, negated gradient backward: turns descent into ascent for one tensor."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return -grad


@OBJECTIVES.register("mdr")
class MDR(Objective):
    """ELBO subject to rate >= ``target`` nats per sentence (or ``per_dim`` nats per dimension)."""

    def __init__(
        self,
        target: float | None = None,
        per_dim: float | None = None,
        initial_multiplier: float = 0.0,
        **options,
    ) -> None:
        super().__init__(**options)
        if (target is None) == (per_dim is None):
            raise ConfigError(
                "MDR needs exactly one target: target=R (nats per sentence) or per_dim=R (nats per dimension)"
            )
        if (target if target is not None else per_dim) < 0 or initial_multiplier < 0:
            raise ConfigError("MDR targets and the initial multiplier must be non-negative")
        self.target, self.per_dim = target, per_dim
        self.initial_multiplier = float(initial_multiplier)
        if per_dim is None:
            self.multiplier = nn.Parameter(torch.tensor(self.initial_multiplier))
        else:
            # One multiplier per dimension: its size is known at the first batch.
            self.multiplier = nn.parameter.UninitializedParameter()

    def _multiplier(self, dims: int, device: torch.device) -> torch.Tensor:
        if isinstance(self.multiplier, nn.parameter.UninitializedParameter):
            self.multiplier.materialize((dims,), device=device)
            with torch.no_grad():
                self.multiplier.fill_(self.initial_multiplier)
        return _ReverseGradient.apply(self.multiplier)

    def loss_from_terms(self, terms: RateDistortion) -> torch.Tensor:
        device = terms.distortion.device
        loss = terms.distortion + self.kl_weight.value() * terms.rate
        n = terms.num_data
        if self.per_dim is None:
            violation = self.target - terms.rate / n
            return loss + n * self._multiplier(1, device) * violation
        for site in terms.rates.values():
            kl_per_dim = site.require_per_dim() / site.count
            violation = self.per_dim - kl_per_dim
            loss = loss + site.count * (self._multiplier(kl_per_dim.numel(), device) * violation).sum()
        return loss

    def advance(self, terms: TermsSummary | None = None) -> None:
        super().advance(terms)
        if not isinstance(self.multiplier, nn.parameter.UninitializedParameter):
            with torch.no_grad():
                self.multiplier.clamp_(min=0.0)

    def state_summary(self) -> dict[str, float]:
        summary = {**super().state_summary(), "target": self.target if self.target is not None else self.per_dim}
        if not isinstance(self.multiplier, nn.parameter.UninitializedParameter):
            summary["multiplier"] = float(self.multiplier.detach().mean())
        return summary
