r"""Schedules of a weight over optimizer steps (KL annealing, capacity ramps).

A schedule is an ``nn.Module`` whose current step is a buffer, so it is checkpointed with the
objective and a resumed run continues the schedule where it was. The trainer calls
:meth:`Schedule.start` once (with the number of optimizer steps per epoch) and :meth:`Schedule.advance`
after every optimizer step.

References:
    [1] Bowman et al., "Generating Sentences from a Continuous Space", CoNLL 2016 (arXiv:1511.06349):
        linear KL annealing.
    [2] Fu et al., "Cyclical Annealing Schedule: A Simple Approach to Mitigating KL Vanishing",
        NAACL 2019 (arXiv:1903.10145).
    [3] Barkhof, "Taking a step back: assessing the TransformerVAE as a latent variable model
        first" (MSc thesis, University of Amsterdam, 2021), section 4.1.1:
        per-epoch annealing as in Li et al. 2020 (Optimus, arXiv:2004.04092).
"""

from __future__ import annotations

import re
from abc import ABCMeta, abstractmethod

import torch
from torch import nn

from pyrovae.errors import ConfigError


class Schedule(nn.Module, metaclass=ABCMeta):
    """A value that depends on the number of optimizer steps taken."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    @abstractmethod
    def value_at(self, step: int) -> float:
        """The value after ``step`` optimizer steps."""

    def value(self) -> float:
        return self.value_at(int(self.step))

    def advance(self) -> None:
        self.step += 1

    def start(self, steps_per_epoch: int, total_steps: int) -> None:
        """Called by the trainer before training, with the length of an epoch and of the run."""


class Constant(Schedule):
    """``value`` at every step."""

    def __init__(self, value: float = 1.0) -> None:
        super().__init__()
        self.constant = float(value)

    def value_at(self, step: int) -> float:
        return self.constant


class LinearWarmup(Schedule):
    """From ``start`` to ``end`` linearly over ``steps`` optimizer steps, then ``end`` [1]."""

    def __init__(self, steps: int, start: float = 0.0, end: float = 1.0) -> None:
        super().__init__()
        if steps < 1:
            raise ConfigError(f"a linear warm-up needs at least 1 step, got {steps}")
        self.steps, self.begin, self.end = int(steps), float(start), float(end)

    def value_at(self, step: int) -> float:
        fraction = min(1.0, step / self.steps)
        return self.begin + fraction * (self.end - self.begin)


class Cyclical(Schedule):
    r"""Cyclical annealing [2]: ``cycles`` repetitions of (zero, linear rise, one) over ``total_steps``.

    Within each cycle of length :math:`T/M`, with position :math:`\tau \in [0, 1)`, the weight is
    0 for :math:`\tau < \rho_0` (``ratio_zero``), rises linearly to 1 over the next
    :math:`R` (``ratio_increase``) of the cycle, and stays at 1 for the rest. Fu et al. use
    ``cycles=4, ratio_increase=0.5, ratio_zero=0``. After ``total_steps`` the weight stays 1;
    ``total_steps=None`` takes the length of the run from the trainer.
    """

    def __init__(
        self, total_steps: int | None = None, cycles: int = 4, ratio_increase: float = 0.5, ratio_zero: float = 0.0
    ) -> None:
        super().__init__()
        self.total_steps, self.cycles = total_steps, int(cycles)
        self.ratio_increase, self.ratio_zero = float(ratio_increase), float(ratio_zero)
        if total_steps is not None:
            self._check()

    def _check(self) -> None:
        total_steps, cycles = self.total_steps, self.cycles
        ratio_increase, ratio_zero = self.ratio_increase, self.ratio_zero
        if total_steps < cycles or cycles < 1:
            raise ConfigError(f"cyclical annealing needs total_steps >= cycles >= 1, got {total_steps} and {cycles}")
        if not (0 < ratio_increase and 0 <= ratio_zero and ratio_zero + ratio_increase <= 1):
            raise ConfigError(
                f"cyclical annealing needs ratio_increase > 0, ratio_zero >= 0 and their sum <= 1, got "
                f"{ratio_increase} and {ratio_zero}"
            )

    def start(self, steps_per_epoch: int, total_steps: int) -> None:
        if self.total_steps is None:
            self.total_steps = int(total_steps)
            self._check()

    def value_at(self, step: int) -> float:
        if self.total_steps is None:
            raise ConfigError("cyclical annealing needs total_steps (the trainer sets it at start)")
        if step >= self.total_steps:
            return 1.0
        period = self.total_steps / self.cycles
        position = (step % period) / period
        return min(1.0, max(0.0, (position - self.ratio_zero) / self.ratio_increase))


class EpochwiseAnnealing(Schedule):
    """Per epoch: the first half at 0, a quarter rising linearly 0 -> 1, the last quarter at 1 [3].

    The epoch length comes from the trainer (:meth:`start`) unless ``steps_per_epoch`` is given.
    """

    def __init__(self, steps_per_epoch: int | None = None) -> None:
        super().__init__()
        self.steps_per_epoch = steps_per_epoch

    def start(self, steps_per_epoch: int, total_steps: int) -> None:
        if self.steps_per_epoch is None:
            self.steps_per_epoch = steps_per_epoch

    def value_at(self, step: int) -> float:
        if not self.steps_per_epoch:
            raise ConfigError("EpochwiseAnnealing needs steps_per_epoch (the trainer sets it at start)")
        position = (step % self.steps_per_epoch) / self.steps_per_epoch
        return min(1.0, max(0.0, (position - 0.5) / 0.25))


SCHEDULES: dict[str, type[Schedule]] = {
    "constant": Constant,
    "linear": LinearWarmup,
    "cyclical": Cyclical,
    "epochwise": EpochwiseAnnealing,
}


def as_schedule(value: float | str | Schedule) -> Schedule:
    """A schedule from a schedule, a number (constant) or a spec such as ``"cyclical(cycles=4)"``.

    Specs name one of :data:`SCHEDULES` with optional keyword arguments:
    ``"linear(steps=5000)"``, ``"cyclical(total_steps=20000,cycles=4,ratio_increase=0.5)"``,
    ``"epochwise"``; this is how ``--set objective.kl_weight=...`` reaches the objective.
    """
    if isinstance(value, Schedule):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Constant(float(value))
    if not isinstance(value, str):
        raise ConfigError(f"a KL weight is a number or a schedule such as 'linear(steps=5000)', got {value!r}")
    match = re.fullmatch(r"\s*(\w+)\s*(?:\((.*)\))?\s*", value)
    if not match or match.group(1) not in SCHEDULES:
        raise ConfigError(
            f"unknown schedule {value!r}: expected a number or one of {', '.join(SCHEDULES)}, "
            "e.g. 'cyclical(cycles=4,ratio_increase=0.5)'"
        )
    kwargs = {}
    for item in filter(None, (part.strip() for part in (match.group(2) or "").split(","))):
        key, sep, text = item.partition("=")
        if not sep:
            raise ConfigError(f"schedule arguments are KEY=VALUE, got {item!r} in {value!r}")
        kwargs[key.strip()] = float(text) if "." in text or "e" in text.lower() else int(text)
    try:
        return SCHEDULES[match.group(1)](**kwargs)
    except TypeError as error:
        raise ConfigError(f"bad arguments for schedule {value!r}: {error}") from None
