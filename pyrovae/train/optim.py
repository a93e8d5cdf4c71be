"""Optimizers and learning-rate schedules of a run, built from its config."""

from __future__ import annotations

import math
from typing import Iterable

import torch

from pyrovae.train.config import RunConfig

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def build_optimizer(params: Iterable[torch.nn.Parameter], config: RunConfig) -> torch.optim.Optimizer:
    """The optimizer of the model and guide parameters (``optimizer``, ``lr``, ``weight_decay``)."""
    return _OPTIMIZERS[config.optimizer](list(params), lr=config.lr, weight_decay=config.weight_decay)


def build_dual_optimizer(
    objective_params: Iterable[torch.nn.Parameter], config: RunConfig
) -> torch.optim.SGD | None:
    r"""Plain gradient steps for an objective's own parameters (Lagrange multipliers), or None.

    A multiplier :math:`u` of a constrained objective follows gradient *ascent* on the Lagrangian,
    :math:`u \leftarrow \max(0, u + \eta\,\partial\mathcal{J}/\partial u)` with
    :math:`\partial\mathcal{J}/\partial u = r - \bar R` the constraint violation (the objective
    reverses the gradient so that a descent step is this ascent, and projects onto
    :math:`u \ge 0` in ``advance()``). Plain SGD with step ``objective_lr`` keeps the step
    proportional to the violation, as dual ascent has it; an adaptive optimizer (Adam) would move
    :math:`u` by about its learning rate per step whatever the violation, too slowly far from the
    target and with oscillations near it. No weight decay, no clipping, no learning-rate schedule.
    """
    objective_params = list(objective_params)
    if not objective_params:
        return None
    return torch.optim.SGD(objective_params, lr=config.objective_lr)


def build_lr_schedule(
    optimizer: torch.optim.Optimizer, config: RunConfig, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``warmup_steps``, then constant, linear decay to 0 or cosine decay to 0."""
    warmup = config.warmup_steps
    decay_steps = max(1, total_steps - warmup)
    kind = config.lr_schedule

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / decay_steps)
        if kind == "linear":
            return 1.0 - progress
        if kind == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
