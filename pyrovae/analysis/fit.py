r"""Stochastic variational inference for the mixed-membership model, with a convergence check.

:func:`fit` maximises the ELBO

.. math:: \mathcal L = \mathbb E_{q}\Big[\sum_n \log \sum_k \theta_{g_n k} f(z_n; \phi_k)
    + \log p(\theta, \phi) - \log q(\theta, \phi)\Big]

with the assignments summed out exactly (``TraceEnum_ELBO``), one Monte Carlo draw of the global
parameters per step, and the sum over observations estimated from a random mini-batch
(scaled by ``N / B``; Hoffman et al. 2013). Adam's learning rate decays geometrically from
``learning_rate`` to ``final_learning_rate`` so the noisy iterates settle (Robbins & Monro 1951).
The whole run is a function of ``seed``.

**Convergence.** The loss trace (negative ELBO estimates, nats per data set) is noisy under
mini-batching, so "settled" is a statement about means: the last ``window`` fraction of the steps
is split in two halves and the drift :math:`\Delta = \bar\ell_{\text{first}} - \bar\ell_{\text{second}}`
(positive while the loss still falls) is compared with
:math:`\max(\tau N,\ 2\,\mathrm{SE}(\Delta))`, :math:`\tau` the tolerance in nats per observation and
the standard error from the two halves' spreads (steps treated as independent). A fit that has not
settled raises a :class:`ConvergenceWarning` saying what to change.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import pyro
import torch
from pyro.infer import TraceEnum_ELBO
from pyro.infer.util import is_validation_enabled
from tqdm.auto import tqdm

from pyrovae.analysis.guide import MeanFieldGuide
from pyrovae.analysis.mixed_membership import MixedMembership
from pyrovae.errors import ConfigError, NonFiniteLossError


class ConvergenceWarning(UserWarning):
    """The SVI loss had not settled by the last step."""


@dataclass(frozen=True)
class FitOptions:
    """How :func:`fit` runs SVI.

    Attributes:
        num_steps: optimizer steps.
        learning_rate, final_learning_rate: Adam's step size at the first and the last step
            (geometric decay in between).
        subsample_size: observations per step (``None`` or at least ``N``: all of them).
        seed: seeds the initialisation, the mini-batches and the Monte Carlo draws.
        window: fraction of the final steps used by the convergence check.
        tolerance: drift allowed in that window, nats per observation.
        progress: show a progress bar.
    """

    num_steps: int = 1500
    learning_rate: float = 0.05
    final_learning_rate: float = 0.005
    subsample_size: int | None = 1024
    seed: int = 0
    window: float = 0.2
    tolerance: float = 1e-3
    progress: bool = False

    def __post_init__(self) -> None:
        if self.num_steps < 10:
            raise ConfigError(f"num_steps must be at least 10, got {self.num_steps}")
        if not (self.learning_rate > 0 and self.final_learning_rate > 0):
            raise ConfigError("learning rates must be positive")
        if self.subsample_size is not None and self.subsample_size < 1:
            raise ConfigError(f"subsample_size must be at least 1 (or None for all), got {self.subsample_size}")
        if not 0 < self.window <= 1:
            raise ConfigError(f"window must be a fraction in (0, 1], got {self.window}")


@dataclass(frozen=True)
class Convergence:
    """The outcome of :func:`check_convergence` (nats per data set unless stated)."""

    settled: bool
    drift: float  #: mean loss of the first half of the window minus that of the second half
    threshold: float  #: the largest drift counted as settled
    tolerance_per_observation: float

    def describe(self) -> str:
        state = "settled" if self.settled else "NOT settled"
        return (
            f"SVI loss {state}: drift {self.drift:.4g} nats over the final window "
            f"(threshold {self.threshold:.4g} = max(tolerance {self.tolerance_per_observation:g} "
            "nats/observation x N, 2 standard errors))"
        )


def check_convergence(losses: list[float], num_observations: int, window: float = 0.2, tolerance: float = 1e-3) -> Convergence:
    """Whether the loss trace has settled (module docstring)."""
    tail = torch.tensor(losses[-max(4, int(len(losses) * window)) :], dtype=torch.float64)
    first, second = tail[: len(tail) // 2], tail[len(tail) // 2 :]
    drift = float(first.mean() - second.mean())
    stderr = math.sqrt(float(first.var() / len(first) + second.var() / len(second)))
    threshold = max(tolerance * num_observations, 2 * stderr)
    return Convergence(drift <= threshold, drift, threshold, tolerance)


@dataclass
class FitResult:
    """A fitted guide with its loss trace.

    Attributes:
        model: the model that was fitted.
        guide: the fitted :class:`MeanFieldGuide`.
        losses: negative ELBO estimate of every step (nats for the whole data set).
        convergence: see :func:`check_convergence`.
        seconds: wall-clock time of the SVI loop.
        num_observations: ``N``.
        options: the options it ran with.
    """

    model: MixedMembership
    guide: MeanFieldGuide
    losses: list[float]
    convergence: Convergence
    seconds: float
    num_observations: int
    options: FitOptions


def fit(model: MixedMembership, z: torch.Tensor, group: torch.Tensor, options: FitOptions | None = None) -> FitResult:
    """Fit the mean-field guide of ``model`` to observations ``z [N, D]`` in groups ``group [N]``.

    Raises:
        DataError: bad observations (see :meth:`MixedMembership.check_data`).
        NonFiniteLossError: the loss became NaN or infinite.

    Warns:
        ConvergenceWarning: the loss had not settled (raise ``num_steps``).
    """
    options = options or FitOptions()
    model.check_data(z, group)
    pyro.set_rng_seed(options.seed)
    guide = MeanFieldGuide(model, z, group, seed=options.seed)
    n = z.shape[0]
    subsample = None if options.subsample_size is None or options.subsample_size >= n else options.subsample_size
    elbo = TraceEnum_ELBO(max_plate_nesting=2)
    optimizer = torch.optim.Adam(guide.parameters(), lr=options.learning_rate)
    decay = (options.final_learning_rate / options.learning_rate) ** (1 / max(1, options.num_steps - 1))
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=decay)
    losses: list[float] = []
    validate = is_validation_enabled()
    start = time.perf_counter()
    steps = tqdm(range(options.num_steps), desc="SVI", unit="step", disable=not options.progress)
    for step in steps:
        optimizer.zero_grad()
        # Pyro's checks (supports, enumeration, model/guide match) on the first step only: the
        # program's structure is the same at every step, and the checks cost more than the step.
        with pyro.validation_enabled(validate and step == 0):
            loss = elbo.differentiable_loss(model.model, guide, z, group, subsample)
        if not torch.isfinite(loss.detach()):
            raise NonFiniteLossError(
                f"the mixed-membership ELBO became {loss.item()} at step {step}: lower the learning "
                "rate or check the observations for extreme values"
            )
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if options.progress and step % 50 == 0:
            steps.set_postfix(loss=f"{losses[-1]:.4g}")
    seconds = time.perf_counter() - start
    convergence = check_convergence(losses, n, options.window, options.tolerance)
    if not convergence.settled:
        warnings.warn(
            ConvergenceWarning(f"{convergence.describe()}; raise the number of steps (now {options.num_steps})"),
            stacklevel=2,
        )
    return FitResult(model, guide, losses, convergence, seconds, n, options)
