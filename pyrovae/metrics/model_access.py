"""Reaching the model, guide, modules and device of what an estimator is given, and running it in
evaluation mode: shared by :func:`pyrovae.metrics.evaluate` and :mod:`pyrovae.diagnostics`."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch
from torch import nn

from pyrovae.errors import UnsupportedModelError


def model_and_guide(vae_or_pair: Any) -> tuple[Callable, Callable]:
    """``(model, guide)`` of a VAE-like object with ``.model``/``.guide``, or of a pair."""
    if isinstance(vae_or_pair, tuple) and len(vae_or_pair) == 2:
        return vae_or_pair
    model, guide = getattr(vae_or_pair, "model", None), getattr(vae_or_pair, "guide", None)
    if not (callable(model) and callable(guide)):
        raise UnsupportedModelError(
            f"evaluate needs an object with .model and .guide methods or a (model, guide) pair, "
            f"got {type(vae_or_pair).__name__}"
        )
    return model, guide


def owning_modules(*objects: Any) -> list[nn.Module]:
    """The distinct modules that ``objects`` (modules, or methods of modules) belong to."""
    found: list[nn.Module] = []
    for obj in objects:
        owner = getattr(obj, "__self__", obj)
        if isinstance(owner, nn.Module) and all(owner is not m for m in found):
            found.append(owner)
    return found


def parameter_device(modules: list[nn.Module]) -> torch.device | None:
    """The device of the first parameter of ``modules`` (None without parameters)."""
    for module in modules:
        for parameter in module.parameters():
            return parameter.device
    return None


@contextmanager
def evaluation_mode(modules: list[nn.Module]) -> Iterator[None]:
    """Put ``modules`` in evaluation mode, then restore every submodule's previous mode."""
    previous = [(m, m.training) for top in modules for m in top.modules()]
    try:
        for top in modules:
            top.eval()
        yield
    finally:
        for module, training in previous:
            module.training = training
