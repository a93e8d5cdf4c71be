"""Mixed precision: autocast contexts and the fp16 gradient scaler.

bf16 autocast works on CPU and GPU and needs no loss scaling; fp16 needs a GPU and a
``GradScaler`` (its narrow exponent range underflows small gradients). Log-probabilities and
KL divergences stay float32 either way: :class:`~pyrovae.distributions.TokenSequence` and the
posteriors cast to float32 before scoring.
"""

from __future__ import annotations

import contextlib

import torch

from pyrovae.errors import ConfigError


class Precision:
    """Autocast and gradient scaling for one of ``"off"``, ``"bf16"``, ``"fp16"``."""

    def __init__(self, mode: str, device: torch.device) -> None:
        if mode == "fp16" and device.type != "cuda":
            raise ConfigError("amp=fp16 needs a CUDA device; use amp=bf16 on CPU (or amp=off)")
        self.mode = mode
        self.device = device
        self.scaler = torch.amp.GradScaler("cuda") if mode == "fp16" else None

    def autocast(self):
        if self.mode == "off":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.mode == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler else loss).backward()

    def unscale(self, *optimizers: torch.optim.Optimizer) -> None:
        """Bring gradients back to their true scale (before clipping)."""
        if self.scaler:
            for optimizer in optimizers:
                self.scaler.unscale_(optimizer)

    def step(self, *optimizers: torch.optim.Optimizer) -> None:
        """Step every optimizer (each skipped by the scaler if its gradients overflowed)."""
        for optimizer in optimizers:
            if self.scaler:
                self.scaler.step(optimizer)
            else:
                optimizer.step()
        if self.scaler:
            self.scaler.update()

    def state_dict(self) -> dict:
        return self.scaler.state_dict() if self.scaler else {}

    def load_state_dict(self, state: dict) -> None:
        if self.scaler and state:
            self.scaler.load_state_dict(state)
