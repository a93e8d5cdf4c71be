"""Optimizers and learning-rate schedules of a run, built from its config."""

from __future__ import annotations

import math
from typing import Iterable

import torch

from pyrovae.errors import ConfigError
from pyrovae.train.config import RunConfig

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def parameter_groups(module: torch.nn.Module | Iterable[torch.nn.Parameter], lr: float) -> list[dict]:
    """Optimizer parameter groups of ``module`` with learning rates relative to ``lr``.

    A module may define ``parameter_groups()`` returning dicts with ``"params"`` and an optional
    ``"lr_scale"`` (e.g. pretrained Transformer weights at 0.1 of the run's rate, fresh heads at
    1); every parameter must appear in exactly one group. Otherwise (or for a plain iterable of
    parameters) all parameters form one group at ``lr``.

    Raises:
        ConfigError: a parameter in no group or in two, or a non-positive ``lr_scale``.
    """
    groups = getattr(module, "parameter_groups", None)
    if not callable(groups):
        params = module.parameters() if isinstance(module, torch.nn.Module) else module
        return [{"params": list(params), "lr": lr}]
    built, seen = [], set()
    for group in groups():
        params, scale = list(group["params"]), float(group.get("lr_scale", 1.0))
        if scale <= 0:
            raise ConfigError(f"a parameter group's lr_scale must be positive, got {scale}")
        for p in params:
            if id(p) in seen:
                raise ConfigError(f"{type(module).__name__}.parameter_groups() lists a parameter twice")
            seen.add(id(p))
        built.append({**{k: v for k, v in group.items() if k != "lr_scale"}, "params": params, "lr": lr * scale})
    missing = [name for name, p in module.named_parameters() if id(p) not in seen]
    if missing:
        raise ConfigError(
            f"{type(module).__name__}.parameter_groups() leaves out {len(missing)} parameter(s), e.g. {missing[0]}: "
            "every parameter must be in one group"
        )
    return built


def build_optimizer(module: torch.nn.Module | Iterable[torch.nn.Parameter], config: RunConfig) -> torch.optim.Optimizer:
    """The optimizer of the model and guide parameters (``optimizer``, ``lr``, ``weight_decay``),
    in the module's :func:`parameter_groups`."""
    return _OPTIMIZERS[config.optimizer](parameter_groups(module, config.lr), lr=config.lr, weight_decay=config.weight_decay)


def build_dual_optimizer(
    objective_params: Iterable[torch.nn.Parameter], config: RunConfig
) -> torch.optim.Optimizer | None:
    r"""The optimizer of an objective's own parameters (Lagrange multipliers), or None.

    A multiplier :math:`u` of a constrained objective follows gradient *ascent* on the Lagrangian,
    whose gradient :math:`\partial\mathcal{J}/\partial u = r - \bar R` is the constraint
    violation (the objective reverses the gradient so that a descent step is an ascent step, and
    projects onto :math:`u \ge 0` in ``advance()``). It gets its own optimizer
    (``objective_optimizer``, step ``objective_lr``), without weight decay, learning-rate schedule
    or gradient clipping.

    The default is Adam with step 1e-3: its steps are bounded by about the learning rate and shrink
    when the sign of the violation alternates, which damps the oscillation of the rate. With an LSTM
    decoder the rate responds almost discontinuously to :math:`u` near 1 (the effective KL weight
    :math:`1 - u` passes from collapse to an unbounded reward for rate), and plain SGD ascent,
    whose step is proportional to a violation of tens of nats, overshoots: on Penn Treebank with
    ``objective_lr`` 0.01 and 0.001 the training rate swung between 0.1 and 97 nats for a target
    of 16 (docs/objectives.md, "MDR in practice").
    """
    objective_params = list(objective_params)
    if not objective_params:
        return None
    return _OPTIMIZERS[config.objective_optimizer](objective_params, lr=config.objective_lr, weight_decay=0.0)


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
