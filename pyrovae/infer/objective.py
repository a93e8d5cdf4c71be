"""Base class of pyrovae's training objectives: Pyro ELBOs that combine rate and distortion."""

from __future__ import annotations

import math
from abc import ABCMeta
from dataclasses import dataclass

import torch
from pyro.infer import Trace_ELBO
from pyro.infer.util import torch_item
from torch import nn

from pyrovae.infer.rate_distortion import RateDistortion, rate_distortion
from pyrovae.infer.schedules import Schedule, as_schedule


@dataclass
class TermsSummary:
    """Detached per-data-point averages of the last loss evaluation (nats per sentence).

    ``objective`` is what was optimised; ``elbo``, ``rate`` and ``distortion`` are always the true
    ones, whatever the objective.
    """

    objective: torch.Tensor
    distortion: torch.Tensor
    rate: torch.Tensor
    num_data: int
    rate_per_dim: torch.Tensor | None = None

    @property
    def elbo(self) -> torch.Tensor:
        return -(self.distortion + self.rate)


class _ObjectiveMeta(ABCMeta, type(nn.Module)):
    pass


class Objective(Trace_ELBO, nn.Module, metaclass=_ObjectiveMeta):
    r"""A Pyro ELBO whose loss is a function of the :class:`RateDistortion` of each particle.

    The loss of one particle is

    .. math:: \mathcal{J} = D + w_t \, \mathrm{rate\_term}(R),

    with :math:`w_t` the ``kl_weight`` (a number, or a :class:`~pyrovae.infer.schedules.Schedule`
    for KL annealing). Subclasses override one hook, :meth:`rate_term` (free bits, beta_C) or
    :meth:`loss_from_terms` (Lagrangian objectives), the way Pyro's ``TraceTailAdaptive_ELBO``
    overrides ``_differentiable_loss_particle``; annealing composes with any of them through
    ``kl_weight`` instead of a class per combination. The objective is also an ``nn.Module``:
    learned multipliers are parameters and schedule steps are buffers, so both are checkpointed
    and resume exactly. The trainer calls :meth:`start` before training and :meth:`advance`
    after every optimizer step.

    ``differentiable_loss(model, guide, *args)`` returns the loss summed over data points
    (nats, like ``Trace_ELBO``) and averaged over particles; :attr:`last_terms` then holds the
    true ELBO, rate and distortion per data point, for logging.

    Args:
        num_particles, vectorize_particles, max_plate_nesting: as in :class:`pyro.infer.ELBO`.
        analytic_kl: use closed-form KL divergences where registered (as
            ``TraceMeanField_ELBO`` does); else single-sample Monte Carlo (as ``Trace_ELBO``).
        kl_weight: weight of the rate term, a number or a schedule over optimizer steps.
    """

    def __init__(
        self,
        num_particles: int = 1,
        vectorize_particles: bool = False,
        max_plate_nesting: float = math.inf,
        analytic_kl: bool = True,
        kl_weight: float | str | Schedule = 1.0,
    ) -> None:
        nn.Module.__init__(self)
        Trace_ELBO.__init__(
            self,
            num_particles=num_particles,
            vectorize_particles=vectorize_particles,
            max_plate_nesting=max_plate_nesting,
        )
        self.analytic_kl = analytic_kl
        self.kl_weight = as_schedule(kl_weight)
        self.last_terms: TermsSummary | None = None
        self._particle_terms: list[TermsSummary] = []

    # ELBO.__call__ (returning an ELBOModule) and nn.Module.__call__ clash: keep Pyro's meaning.
    __call__ = Trace_ELBO.__call__

    def rate_term(self, terms: RateDistortion) -> torch.Tensor:
        """The (possibly reshaped) rate, summed over data points; the plain rate by default."""
        return terms.rate

    def loss_from_terms(self, terms: RateDistortion) -> torch.Tensor:
        """The differentiable loss of one particle (summed over data points, nats)."""
        return terms.distortion + self.kl_weight.value() * self.rate_term(terms)

    def state_summary(self) -> dict[str, float]:
        """The objective's own state for logs (current KL weight, multiplier, target...)."""
        return {"kl_weight": self.kl_weight.value()}

    def start(self, steps_per_epoch: int, total_steps: int) -> None:
        """Called by the trainer before the first step, with the epoch and run lengths."""
        for module in self.modules():
            if isinstance(module, Schedule):
                module.start(steps_per_epoch, total_steps)

    def advance(self) -> None:
        """Called by the trainer after every optimizer step: schedules move on."""
        for module in self.modules():
            if isinstance(module, Schedule):
                module.advance()

    def _differentiable_loss_particle(self, model_trace, guide_trace):
        terms = rate_distortion(model_trace, guide_trace, analytic_kl=self.analytic_kl)
        loss = self.loss_from_terms(terms)
        self._record(terms, loss)
        return torch_item(loss), loss

    def _record(self, terms: RateDistortion, loss: torch.Tensor) -> None:
        n = terms.num_data
        per_dim = None
        sites = list(terms.rates.values())
        if len(sites) == 1 and sites[0].per_dim is not None:
            per_dim = sites[0].per_dim.detach() / sites[0].count
        self._particle_terms.append(
            TermsSummary(
                objective=loss.detach() / n,
                distortion=terms.distortion.detach() / n,
                rate=terms.rate.detach() / n,
                num_data=n,
                rate_per_dim=per_dim,
            )
        )

    def differentiable_loss(self, model, guide, *args, **kwargs) -> torch.Tensor:
        self._particle_terms = []
        loss = super().differentiable_loss(model, guide, *args, **kwargs)
        records = self._particle_terms
        self.last_terms = TermsSummary(
            objective=sum(r.objective for r in records) / len(records),
            distortion=sum(r.distortion for r in records) / len(records),
            rate=sum(r.rate for r in records) / len(records),
            num_data=records[0].num_data,
            rate_per_dim=None
            if records[0].rate_per_dim is None
            else sum(r.rate_per_dim for r in records) / len(records),
        )
        return loss

    def loss(self, model, guide, *args, **kwargs) -> float:
        """The objective's value (a float), without gradients."""
        with torch.no_grad():
            return torch_item(self.differentiable_loss(model, guide, *args, **kwargs))

    def loss_and_grads(self, model, guide, *args, **kwargs) -> float:
        loss = self.differentiable_loss(model, guide, *args, **kwargs)
        loss.backward()
        return torch_item(loss)
