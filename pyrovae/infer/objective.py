"""Base class of pyrovae's training objectives: Pyro ELBOs that combine rate and distortion."""

from __future__ import annotations

import math
from abc import ABCMeta
from dataclasses import dataclass, field

import torch
from pyro.infer import Trace_ELBO
from pyro.infer.util import torch_item
from pyro.util import warn_if_nan
from torch import nn

from pyrovae.infer.rate_distortion import RateDistortion, rate_distortion
from pyrovae.infer.schedules import Schedule, as_schedule
from pyrovae.registry import Registry


@dataclass
class TermsSummary:
    """Detached per-data-point averages of one loss evaluation (nats per sentence).

    ``objective`` is what was optimised; ``elbo``, ``rate`` and ``distortion`` are always the true
    ones, whatever the objective. ``extras`` holds an objective's own per-evaluation figures (e.g.
    InfoVAE's MMD), by name.
    """

    objective: torch.Tensor
    distortion: torch.Tensor
    rate: torch.Tensor
    num_data: int
    rate_per_dim: torch.Tensor | None = None
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def elbo(self) -> torch.Tensor:
        return -(self.distortion + self.rate)

    @classmethod
    def of(cls, terms: RateDistortion, loss: torch.Tensor) -> "TermsSummary":
        """The summary of one particle: ``terms`` and its ``loss`` divided by the data points."""
        n = terms.num_data
        sites = list(terms.rates.values())
        per_dim = None
        if len(sites) == 1 and sites[0].per_dim is not None:
            per_dim = sites[0].per_dim.detach() / sites[0].count
        return cls(
            objective=loss.detach() / n,
            distortion=terms.distortion.detach() / n,
            rate=terms.rate.detach() / n,
            num_data=n,
            rate_per_dim=per_dim,
            extras={name: value.detach() for name, value in terms.extras.items()},
        )

    @classmethod
    def mean(cls, records: list["TermsSummary"], weights: list[float] | None = None) -> "TermsSummary":
        """The (weighted) average of summaries: of the particles of one batch (equal weights), or
        with ``weights`` proportional to the data points of different batches."""
        if len(records) == 1 and weights is None:  # one particle: nothing to average
            return records[0]
        weights = [1.0] * len(records) if weights is None else weights
        total = sum(weights)

        def average(values: list) -> torch.Tensor:
            return sum(w * v for w, v in zip(weights, values)) / total

        first = records[0]
        return cls(
            objective=average([r.objective for r in records]),
            distortion=average([r.distortion for r in records]),
            rate=average([r.rate for r in records]),
            num_data=first.num_data,
            rate_per_dim=None if first.rate_per_dim is None else average([r.rate_per_dim for r in records]),
            extras={name: average([r.extras[name] for r in records]) for name in first.extras},
        )

    @classmethod
    def pooled(cls, records: list["TermsSummary"]) -> "TermsSummary | None":
        """The summary of several batches together (per data point over all of them), or None for none."""
        if not records:
            return None
        summary = cls.mean(records, [float(r.num_data) for r in records])
        summary.num_data = sum(r.num_data for r in records)
        return summary


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

    :meth:`loss_and_terms` returns the loss summed over data points (nats, like ``Trace_ELBO``)
    and averaged over particles, together with a :class:`TermsSummary` of the true ELBO, rate and
    distortion per data point; ``differentiable_loss`` (Pyro's API) returns the loss alone.

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

    #: options every objective takes from Pyro's ELBO and the accounting (``--help`` says them once).
    common_options = ("num_particles", "vectorize_particles", "max_plate_nesting", "analytic_kl")

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

    def advance(self, terms: TermsSummary | None = None) -> None:
        """Called by the trainer after every optimizer step, with the step's terms: schedules move on."""
        for module in self.modules():
            if isinstance(module, Schedule):
                module.advance()

    def _differentiable_loss_particle(self, model_trace, guide_trace):
        """Pyro's per-particle hook (``Trace_ELBO.loss_and_grads`` calls it)."""
        loss = self.loss_from_terms(rate_distortion(model_trace, guide_trace, analytic_kl=self.analytic_kl))
        return torch_item(loss), loss

    def loss_and_terms(self, model, guide, *args, **kwargs) -> tuple[torch.Tensor, TermsSummary]:
        """The differentiable loss (summed over data points, averaged over particles, nats) and
        the particles' average :class:`TermsSummary`, as ``Trace_ELBO.differentiable_loss`` combines them."""
        loss = 0.0
        surrogate_loss = 0.0
        records = []
        for model_trace, guide_trace in self._get_traces(model, guide, args, kwargs):
            terms = rate_distortion(model_trace, guide_trace, analytic_kl=self.analytic_kl)
            particle_loss = self.loss_from_terms(terms)
            records.append(TermsSummary.of(terms, particle_loss))
            surrogate_loss += particle_loss / self.num_particles
            loss += torch_item(particle_loss) / self.num_particles
        warn_if_nan(surrogate_loss, "loss")
        return loss + (surrogate_loss - torch_item(surrogate_loss)), TermsSummary.mean(records)

    def differentiable_loss(self, model, guide, *args, **kwargs) -> torch.Tensor:
        return self.loss_and_terms(model, guide, *args, **kwargs)[0]

    def loss(self, model, guide, *args, **kwargs) -> float:
        """The objective's value (a float), without gradients."""
        with torch.no_grad():
            return torch_item(self.differentiable_loss(model, guide, *args, **kwargs))

    def loss_and_grads(self, model, guide, *args, **kwargs) -> float:
        loss = self.differentiable_loss(model, guide, *args, **kwargs)
        loss.backward()
        return torch_item(loss)


#: The objectives the command line knows by name (``--set objective=NAME``): a class or factory
#: registers itself where it is defined (``@OBJECTIVES.register("elbo")``).
OBJECTIVES: Registry[Objective] = Registry("objective")
