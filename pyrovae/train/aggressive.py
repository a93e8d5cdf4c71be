r"""Aggressive inference-network training against lagging posteriors (He et al. 2019).

Early in training the inference network lags behind the true posterior, and the model learns to
ignore z. He et al. therefore optimise the encoder (guide parameters :math:`\phi`) to near
convergence before each decoder (model parameters :math:`\theta`) update, as long as doing so
helps (Algorithm 1):

1. **inner loop**: update :math:`\phi` alone on fresh random mini-batches, up to
   ``max_inner_steps`` times, stopping when the average loss over a window of
   ``inner_window`` steps stops falling;
2. one update of :math:`\theta` alone on the next batch of the epoch;
3. at the end of each epoch, estimate :math:`I_q(x; z)` on the validation set; once it stops
   increasing, switch to ordinary training (both parameter sets each step) for good.

Pyro keeps model and guide parameters apart (``vae.model_parameters()``,
``vae.guide_parameters()``), which is what this needs. The flag, the best mutual information and
the position of the inner-loop data stream are checkpointed, so a resumed run continues the
procedure exactly.

Reference: He et al., "Lagging Inference Networks and Posterior Collapse in Variational
Autoencoders", ICLR 2019 (arXiv:1901.05534).
"""

from __future__ import annotations

import math
from typing import Iterator

import pyro
import torch

from pyrovae.errors import ConfigError, UnsupportedModelError
from pyrovae.text.batch import TokenBatch
from pyrovae.train.optim import build_optimizer
from pyrovae.train.trainer import Trainer


class AggressiveTrainer(Trainer):
    """A :class:`Trainer` running He et al.'s aggressive encoder updates until I(x; z) stops rising."""

    def __init__(self, *args, max_inner_steps: int = 100, inner_window: int = 15, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.precision.scaler is not None:
            raise ConfigError("aggressive training runs without a gradient scaler: use amp=bf16 or amp=off")
        for name in ("model_parameters", "guide_parameters"):
            if not callable(getattr(self.vae, name, None)):
                raise UnsupportedModelError(
                    f"aggressive training needs {type(self.vae).__name__}.{name}() to tell encoder and decoder apart"
                )
        self.guide_params = list(self.vae.guide_parameters())
        guide_ids = {id(p) for p in self.guide_params}
        self.model_params = [p for p in self.loss_module.parameters() if id(p) not in guide_ids]
        self.encoder_optimizer = build_optimizer(self.guide_params, self.config)
        self.inner_batches = self.train_batches.reseeded(self.config.seed + 7919)
        self.max_inner_steps, self.inner_window = max_inner_steps, inner_window
        self.aggressive = True
        self.best_mi = -math.inf
        self.inner_epoch, self.inner_position = 0, 0

    # ---------------------------------------------------------------- inner loop data
    def _inner_batches(self) -> Iterator[TokenBatch]:
        """An endless stream of shuffled training batches, resumable from (epoch, position)."""
        while True:
            for batch in self.inner_batches.epoch(self.inner_epoch, skip=self.inner_position):
                self.inner_position += 1
                yield batch.to(self.device)
            self.inner_epoch, self.inner_position = self.inner_epoch + 1, 0

    def _inner_loop(self) -> int:
        """Update the guide alone until its loss stops improving; returns the steps taken."""
        stream = self._inner_batches()
        previous, window_loss, window_count = math.inf, 0.0, 0
        steps = 0
        for steps in range(1, self.max_inner_steps + 1):
            batch = next(stream)
            self.encoder_optimizer.zero_grad(set_to_none=True)
            with pyro.validation_enabled(False), self.precision.autocast():
                loss, _ = self.wrapped(batch)
            loss.backward()
            for p in self.model_params:
                p.grad = None  # the decoder does not move in the inner loop
            if self.config.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.guide_params, self.config.grad_clip)
            self.encoder_optimizer.step()
            window_loss, window_count = window_loss + float(loss.detach()), window_count + 1
            if steps % self.inner_window == 0:
                current = window_loss / window_count
                if current >= previous:
                    break
                previous, window_loss, window_count = current, 0.0, 0
        return steps

    # ---------------------------------------------------------------- trainer hooks
    def _forward_backward(self, batch: TokenBatch, defer_sync: bool) -> None:
        if self.aggressive:
            self._inner_loop()
            self.optimizer.zero_grad(set_to_none=True)
        super()._forward_backward(batch, defer_sync)

    def _optimizer_step(self) -> None:
        if self.aggressive:
            for p in self.guide_params:
                p.grad = None  # the outer step updates the decoder only
        super()._optimizer_step()

    def end_of_epoch(self, partial: bool) -> dict[str, float]:
        from pyrovae.metrics import AggregatePosterior, mutual_information

        record = {"aggressive": float(self.aggressive)}
        if not self.aggressive or self.valid_batches is None:
            return record
        self.vae.eval()
        with torch.no_grad(), pyro.validation_enabled(False), self.evaluation_rng():
            posterior = AggregatePosterior.collect(self.vae.guide, self._eval_batches(self.valid_batches))
            mi = mutual_information(posterior).value
        self.vae.train()
        record["mutual_information"] = mi
        # He et al.: stop once I(x; z) no longer increases (rank 0 decides for every process).
        self.aggressive = not self.context.broadcast_flag(mi < self.best_mi, self.device)
        self.best_mi = max(self.best_mi, mi)
        return record

    def extra_state(self) -> dict:
        return {
            "aggressive": self.aggressive,
            "best_mi": self.best_mi,
            "inner_epoch": self.inner_epoch,
            "inner_position": self.inner_position,
            "encoder_optimizer": self.encoder_optimizer.state_dict(),
        }

    def load_extra_state(self, state: dict) -> None:
        if state:
            self.aggressive, self.best_mi = state["aggressive"], state["best_mi"]
            self.inner_epoch, self.inner_position = state["inner_epoch"], state["inner_position"]
            self.encoder_optimizer.load_state_dict(state["encoder_optimizer"])
