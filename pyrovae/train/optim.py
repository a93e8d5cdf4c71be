"""Optimizers and learning-rate schedules of a run, built from its config."""

from __future__ import annotations

import math
from typing import Iterable

import torch

from pyrovae.train.config import RunConfig

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def build_optimizer(
    params: Iterable[torch.nn.Parameter],
    config: RunConfig,
    objective_params: Iterable[torch.nn.Parameter] = (),
) -> torch.optim.Optimizer:
    """The run's optimizer; an objective's own parameters (e.g. MDR multipliers) form a second
    group with ``objective_lr`` (default: ``lr``) and no weight decay."""
    groups = [{"params": list(params)}]
    objective_params = list(objective_params)
    if objective_params:
        groups.append({"params": objective_params, "lr": config.objective_lr or config.lr, "weight_decay": 0.0})
    return _OPTIMIZERS[config.optimizer](groups, lr=config.lr, weight_decay=config.weight_decay)


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
