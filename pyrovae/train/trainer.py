"""The training loop: torch optimizers over a Pyro model/guide pair, with AMP, DDP and resume.

One optimizer step::

    with autocast:  loss = VAELoss(batch)          # objective over Pyro traces, per sentence
    backward (scaled for fp16); every `accumulate` batches: unscale, clip, step, schedule

The objective is any :class:`~pyrovae.infer.Objective`; whatever it optimises, the logged ELBO,
rate and distortion are the true ones (nats per sentence). Checkpoints (safetensors + JSON,
written atomically by rank 0) hold the model, optimizer, LR schedule, gradient scaler, objective
state, RNG streams and the position in the epoch, so ``resume`` continues a killed run exactly.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pyro
import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from pyrovae.atomic import atomic_write_json
from pyrovae.data.batching import EpochBatches
from pyrovae.errors import (
    ConfigError,
    ModelFileError,
    NonFiniteLossError,
    UnsupportedModelError,
)
from pyrovae.infer.objective import Objective, TermsSummary
from pyrovae.metrics.active_units import RunningActiveUnits, posterior_mean
from pyrovae.metrics.aggregate_posterior import guide_posterior
from pyrovae.text.batch import TokenBatch
from pyrovae.train.checkpoint import CheckpointManager
from pyrovae.train.config import RunConfig
from pyrovae.train.distributed import DistributedContext
from pyrovae.train.epoch_report import TrainingClock, epoch_line
from pyrovae.train.loss_module import VAELoss
from pyrovae.train.optim import build_dual_optimizer, build_lr_schedule, build_optimizer
from pyrovae.train.precision import Precision
from pyrovae.train.rng_state import capture_rng_state, restore_rng_state
from pyrovae.train.run_log import RunLog, read_log

# Order of the running sums kept for logging: objective, distortion, rate (all nats summed over
# sentences), sentences, tokens.
_SUMS = ("objective", "distortion", "rate", "sentences", "tokens")

#: Optimizer steps between updates of the progress bar's figures (each costs a host sync).
PROGRESS_EVERY = 10


@dataclass
class TrainState:
    """Counters that, with the checkpointed tensors, say exactly where training is."""

    step: int = 0  #: optimizer steps taken
    epoch: int = 0  #: current epoch (0-based)
    batches_done: int = 0  #: batches of the current epoch already consumed
    best_valid: float = math.inf  #: best validation criterion (config.select; nats per sentence)
    bad_epochs: int = 0  #: epochs since the best validation -ELBO
    finished: bool = False
    stop_reason: str = ""
    history: list = field(default_factory=list)  #: validation records, one per epoch


def resolve_device(name: str, context: DistributedContext) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", context.local_rank)
    return device


class Trainer:
    """Fit a model/guide module (e.g. :class:`~pyrovae.vae.TextVAE`) with an objective.

    Args:
        vae: an ``nn.Module`` with ``model(batch)`` and ``guide(batch)`` Pyro programs. It may
            define ``parameter_groups()`` (see :func:`~pyrovae.train.optim.build_optimizer`) to
            train parts at their own learning rate.
        objective: the loss; its parameters (learned multipliers) are trained too.
        config: the run configuration.
        run_dir: where checkpoints and logs go (written by rank 0 only).
        train_batches: the training batches of every epoch, already sharded for this process
            (:class:`~pyrovae.data.EpochBatches`: ``len()`` batches per epoch, ``epoch(e, skip)``).
        valid_batches: the validation set, an iterable of batches in fixed order that can be
            iterated again (e.g. :class:`~pyrovae.data.FixedBatches`); None: no validation and no
            early stopping. Under DDP each process scores every ``world_size``-th batch.
        context: rank and world size (from :func:`~pyrovae.train.distributed.init_distributed`).
    """

    def __init__(
        self,
        vae: torch.nn.Module,
        objective: Objective,
        config: RunConfig,
        run_dir: str | Path,
        train_batches: EpochBatches,
        valid_batches: Iterable[TokenBatch] | None = None,
        context: DistributedContext | None = None,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.context = context or DistributedContext()
        self.device = resolve_device(config.device, self.context)
        self.train_batches, self.valid_batches = train_batches, valid_batches
        self.vae = vae.to(self.device)
        self.objective = objective.to(self.device)
        self.loss_module = VAELoss(self.vae, self.objective)
        self.batches_per_epoch = len(train_batches)
        self._materialize_lazy_parameters()
        self.wrapped: torch.nn.Module = self.loss_module
        if self.context.enabled:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self.wrapped = DistributedDataParallel(self.loss_module, device_ids=device_ids)
        self.precision = Precision(config.amp, self.device)
        self.optimizer = build_optimizer(self.vae, config)
        self.dual_optimizer = build_dual_optimizer(self.objective.parameters(), config)
        self.optimizers = [o for o in (self.optimizer, self.dual_optimizer) if o is not None]
        self.steps_per_epoch = math.ceil(self.batches_per_epoch / config.accumulate)
        self.total_steps = config.max_steps or self.steps_per_epoch * max(1, config.epochs)
        self.schedule = build_lr_schedule(self.optimizer, config, self.total_steps)
        self.checkpoints = CheckpointManager(self.run_dir)
        self.log = RunLog(self.run_dir, enabled=self.context.is_main)
        self.state = TrainState()
        self.monitor = self._build_monitor()

    # ------------------------------------------------------------------ data
    def _eval_batches(self, batches: Iterable[TokenBatch]) -> Iterator[TokenBatch]:
        """This rank's share of ``batches`` in their fixed order, without the padding a sampler adds."""
        for i, batch in enumerate(batches):
            if i % self.context.world_size == self.context.rank:
                yield batch.to(self.device)

    def _materialize_lazy_parameters(self) -> None:
        """Give lazily sized parameters (e.g. per-dimension MDR multipliers) their shapes with one
        forward pass, before the optimizer and DDP need them."""
        if any(isinstance(p, torch.nn.parameter.UninitializedParameter) for p in self.loss_module.parameters()):
            batch = next(iter(self.train_batches.epoch(0))).to(self.device)
            with torch.no_grad(), pyro.validation_enabled(False):
                self.loss_module(batch)

    # ------------------------------------------------------------ checkpoint
    def _checkpoint(self, pointer: str | None = None) -> None:
        if not self.context.is_main:
            return
        state = {
            "train_state": asdict(self.state),
            "optimizer": self.optimizer.state_dict(),
            "dual_optimizer": self.dual_optimizer.state_dict() if self.dual_optimizer else {},
            "schedule": self.schedule.state_dict(),
            "precision": self.precision.state_dict(),
            "objective": dict(self.objective.state_dict()),
            "rng": capture_rng_state(cuda_all_devices=not self.context.enabled),
            "running": self._running.cpu(),
            "running_extras": {name: value.cpu() for name, value in self._running_extras.items()},
            "step": self.state.step,
            "extra": self.extra_state(),
        }
        model_state = {k: v.detach() for k, v in self.vae.state_dict().items()}
        self.checkpoints.save(f"step-{self.state.step:07d}", model_state, state, pointer=pointer)

    def end_of_epoch(self, partial: bool) -> dict[str, float]:
        """A subclass's own end-of-epoch work (after validation); returns figures to log."""
        return {}

    def extra_state(self) -> dict:
        """State of a subclass's own training procedure, checkpointed with the rest."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restore what :meth:`extra_state` returned."""

    def _restore(self) -> None:
        weights, state = self.checkpoints.load("latest", device=self.device)
        self.vae.load_state_dict(weights)
        self.objective.load_state_dict(state["objective"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.dual_optimizer is not None:
            self.dual_optimizer.load_state_dict(state["dual_optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.precision.load_state_dict(state["precision"])
        self.state = TrainState(**state["train_state"])
        if self.state.finished and self.state.stop_reason in ("epochs", "max_steps"):
            # The run was resumed with a larger budget (--set epochs=... or max_steps=...).
            more_epochs = self.state.epoch < self.config.epochs
            more_steps = self.config.max_steps is None or self.state.step < self.config.max_steps
            self.state.finished = not (more_epochs and more_steps)
        self._running = state["running"].to(self.device)
        self._running_extras = {name: value.to(self.device) for name, value in state.get("running_extras", {}).items()}
        self.load_extra_state(state.get("extra", {}))
        restore_rng_state(state["rng"])
        if self.context.rank:  # other ranks continue their own streams from a derived seed
            torch.manual_seed(self.config.seed + 1000 * self.context.rank + self.state.step)
        self.log.truncate_after(self.state.step)
        if self.monitor is not None and self.context.is_main:
            self.monitor.restore(read_log(self.run_dir))

    # --------------------------------------------------------------- loop
    def fit(self, resume: bool = False) -> TrainState:
        """Train until ``epochs``/``max_steps`` or early stopping; returns the final state."""
        self._running = torch.zeros(len(_SUMS), device=self.device)
        self._running_extras: dict[str, torch.Tensor] = {}
        self._step_terms: list[TermsSummary] = []
        self._epoch_started = time.perf_counter()
        self._window_started = time.perf_counter()
        self._validated = False
        self.objective.start(self.steps_per_epoch, self.total_steps)
        if resume:
            self._restore()
        else:
            torch.manual_seed(self.config.seed + 1000 * self.context.rank)
        self._clock = TrainingClock(self.state.step)
        try:
            while not self.state.finished:
                self._run_epoch()
        finally:
            self.log.close()
        if self.context.is_main:
            atomic_write_json(self.run_dir / "train_summary.json", asdict(self.state))
        return self.state

    def _run_epoch(self) -> None:
        config, state = self.config, self.state
        if state.epoch >= config.epochs:
            return self._finish("epochs")
        if config.max_steps and state.step >= config.max_steps:  # reached exactly at an epoch's end
            return self._finish("max_steps")
        self.loss_module.train()
        batches = self.train_batches.epoch(state.epoch, skip=state.batches_done)
        bar = tqdm(
            total=self.batches_per_epoch,
            initial=state.batches_done,
            desc=f"epoch {state.epoch + 1}/{config.epochs} (nats/sentence)",
            unit="batch",
            disable=not (config.progress and self.context.is_main),
            dynamic_ncols=True,
        )
        pending = 0
        for batch in batches:
            self._forward_backward(batch.to(self.device), pending + 1 < config.accumulate)
            pending += 1
            state.batches_done += 1
            bar.update(1)
            last = state.batches_done == self.batches_per_epoch
            if pending == config.accumulate or last:
                self._optimizer_step()
                pending = 0
                if not bar.disable and state.step % PROGRESS_EVERY == 0:
                    self._show_progress(bar)
                if state.step % config.log_every == 0:
                    self._log_training()
                if self.monitor is not None and self.monitor.due(state.step):
                    self._monitor_latents()
                if config.max_steps and state.step >= config.max_steps:
                    break
                if state.step % config.checkpoint_every == 0 and not last:
                    self._checkpoint()
        bar.close()
        if config.max_steps and state.step >= config.max_steps and state.batches_done < self.batches_per_epoch:
            self._end_epoch(partial=True)
            return self._finish("max_steps")
        self._end_epoch()

    def _show_progress(self, bar) -> None:
        """The progress bar's loss, rate and distortion: this process's averages over the log window so far."""
        objective, distortion, rate, sentences, _ = self._running.tolist()
        if sentences:
            bar.set_postfix(loss=f"{objective / sentences:.2f}", rate=f"{rate / sentences:.2f}", dist=f"{distortion / sentences:.2f}")

    def _forward_backward(self, batch: TokenBatch, defer_sync: bool) -> None:
        sync = self.wrapped.no_sync() if defer_sync and self.context.enabled else contextlib.nullcontext()
        with sync:
            loss, terms = self._loss(batch)
            finite = torch.isfinite(loss).float()
            if self.context.enabled:
                finite = self.context.all_reduce_sum(finite) / self.context.world_size
            if float(finite) < 1.0:
                self._raise_non_finite(loss, terms)
            self.precision.backward(loss / self.config.accumulate)
        self._step_terms.append(terms)
        n = terms.num_data
        self._running += torch.stack(
            [
                terms.objective * n,
                terms.distortion * n,
                terms.rate * n,
                torch.tensor(float(n), device=self.device),
                torch.tensor(float(batch.num_tokens), device=self.device),
            ]
        ).to(self._running)
        for name, value in terms.extras.items():
            self._running_extras[name] = self._running_extras.get(name, 0.0) + value.to(self._running) * n

    def _loss(self, batch: TokenBatch) -> tuple[torch.Tensor, TermsSummary]:
        """The loss of one batch. The first batch runs with Pyro's and torch's argument and shape
        validation on, so a model that does not fit its data fails at once with a clear message;
        later batches skip those checks (they cost a full pass over the logits every step)."""
        first = not self._validated
        with pyro.validation_enabled(first), self.precision.autocast():
            if not first:
                return self.wrapped(batch)
            try:
                result = self.wrapped(batch)
            except (ValueError, RuntimeError, TypeError) as error:
                raise ModelFileError(
                    f"the model/guide failed on the first training batch ({batch.size} sentences, "
                    f"{batch.targets.shape[1]} positions): {type(error).__name__}: {error}"
                ) from error
            self._validated = True
            return result

    def _optimizer_step(self) -> None:
        self.precision.unscale(*self.optimizers)
        if self.config.grad_clip:
            # Model and guide only: a multiplier's gradient is a constraint violation in nats, which
            # would otherwise dominate the global norm and shrink every model gradient.
            norm = torch.nn.utils.clip_grad_norm_(self.vae.parameters(), self.config.grad_clip)
            if self.precision.scaler is None and not torch.isfinite(norm):
                self._raise_non_finite(norm, None, what="gradient norm")
        self.precision.step(*self.optimizers)
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=True)
        self.schedule.step()
        self.objective.advance(TermsSummary.pooled(self._step_terms))
        self._step_terms = []
        self.state.step += 1

    def _raise_non_finite(self, value: torch.Tensor, terms, what: str = "training loss") -> None:
        bad = []
        if terms is not None:
            bad = [
                name
                for name, term in (("distortion", terms.distortion), ("rate", terms.rate))
                if not torch.isfinite(term)
            ] or ["objective"]
        kept = self.checkpoints.read_pointer("latest")
        where = f"checkpoint {kept['tag']} in {self.checkpoints.checkpoint_root}" if kept else "no checkpoint yet"
        terms_text = f": the {' and '.join(bad)} term is not finite" if bad else ""
        raise NonFiniteLossError(
            f"the {what} became {float(value.detach())} at step {self.state.step + 1} (epoch "
            f"{self.state.epoch + 1}, batch {self.state.batches_done + 1}){terms_text}. The last good "
            f"state is kept ({where}). Lower the learning rate (--set lr=...), clip gradients "
            "(--set grad_clip=1.0) or turn mixed precision off (--set amp=off), then re-run with --resume."
        )

    # ------------------------------------------------------------ logging
    def _reduced_running(self) -> tuple[dict[str, float], dict[str, float]]:
        """The window's sums over every process (:data:`_SUMS`) and the objective's extras per sentence."""
        names = sorted(self._running_extras)
        packed = torch.cat([self._running] + [self._running_extras[name].reshape(1) for name in names])
        reduced = self.context.all_reduce_sum(packed).tolist()
        self._running.zero_()
        self._running_extras = {}
        sums = dict(zip(_SUMS, reduced))
        sentences = max(sums["sentences"], 1.0)
        return sums, {name: value / sentences for name, value in zip(names, reduced[len(_SUMS):])}

    @staticmethod
    def _averages(sums: dict[str, float]) -> dict[str, float]:
        n = max(sums["sentences"], 1.0)
        distortion, rate = sums["distortion"] / n, sums["rate"] / n
        return {
            "loss": sums["objective"] / n,
            "elbo": -(distortion + rate),
            "rate": rate,
            "distortion": distortion,
            "distortion_per_token": sums["distortion"] / max(sums["tokens"], 1.0),
            "sentences": sums["sentences"],
            "tokens": sums["tokens"],
        }

    def _log_training(self) -> dict[str, float]:
        sums, extras = self._reduced_running()
        now = time.perf_counter()
        elapsed, self._window_started = max(now - self._window_started, 1e-9), now
        record = {
            "split": "train",
            "step": self.state.step,
            "epoch": self.state.epoch + 1,
            **self._averages(sums),
            "tokens_per_s": sums["tokens"] / elapsed,
            "lr": self.schedule.get_last_lr()[0],
            **{f"objective.{k}": v for k, v in self.objective.state_summary().items()},
            **{f"objective.{k}": v for k, v in extras.items()},
        }
        self.log.log(record)
        return record

    def _build_monitor(self):
        """The latent-space monitor of ``config.monitor_every`` (None when off)."""
        if self.config.monitor_every is None:
            return None
        if self.valid_batches is None:
            raise ConfigError("monitor_every needs a validation set: its first sentences are the held-out monitor set")
        from pyrovae.diagnostics.monitor import TrainingMonitor

        return TrainingMonitor.from_batches(self.valid_batches, self.config.monitor_every, device=self.device)

    def _monitor_latents(self) -> None:
        """Latent-space checks on held-out sentences (rank 0 only), logged as split "monitor".

        They run without gradients, in evaluation mode and in the evaluation random stream, so the
        training stream, and hence a resumed run, is the same with or without the monitor."""
        if not self.context.is_main:
            return
        started = time.perf_counter()
        with self.evaluation_rng(), pyro.validation_enabled(False):
            record = self.monitor.measure(self.vae, step=self.state.step)
        self.log.log({"split": "monitor", "step": self.state.step, "epoch": self.state.epoch + 1, **record})
        self._window_started += time.perf_counter() - started  # not training throughput

    def _rng_devices(self) -> list[int]:
        return [self.device.index or 0] if self.device.type == "cuda" else []

    @contextlib.contextmanager
    def evaluation_rng(self):
        """A seeded random stream for evaluation, leaving the training stream untouched."""
        with torch.random.fork_rng(devices=self._rng_devices()):
            torch.manual_seed(self.config.seed + 1_000_003 * (self.context.rank + 1))
            yield

    @torch.no_grad()
    def validate(self, batches: Iterable[TokenBatch]) -> dict[str, float]:
        """Objective, ELBO, rate and distortion on ``batches`` (nats per sentence), all ranks."""
        was_training = self.loss_module.training
        self.loss_module.eval()
        sums = torch.zeros(len(_SUMS), device=self.device)
        units = RunningActiveUnits()
        # Validation draws its latent samples from its own seeded stream: every epoch is scored
        # with the same noise, and the training stream is the same whether or not (or how often)
        # validation ran, so runs stopped and resumed at any step continue identically.
        with self.evaluation_rng():
            for batch in self._eval_batches(batches):
                with pyro.validation_enabled(False), self.precision.autocast():
                    _, terms = self.loss_module(batch)
                    units = self._add_posterior_means(units, batch)
                n = terms.num_data
                sums += torch.tensor(
                    [float(terms.objective) * n, float(terms.distortion) * n, float(terms.rate) * n, n, batch.num_tokens],
                    device=self.device,
                )
        self.loss_module.train(was_training)
        record = self._averages(dict(zip(_SUMS, self.context.all_reduce_sum(sums).tolist())))
        if units is not None and units.packed() is not None:
            reduced = self.context.all_reduce_sum(units.packed())
            record |= {"active_units": float(RunningActiveUnits.count(reduced)), "latent_dims": float(reduced.shape[1])}
        return record

    def _add_posterior_means(self, units: RunningActiveUnits | None, batch: TokenBatch) -> RunningActiveUnits | None:
        """Add the batch's posterior means to ``units``, in a forked random stream so that the
        validation losses draw the same noise with or without it; None for a latent that is not
        one vector per sentence (or no latent)."""
        if units is None:
            return None
        with torch.random.fork_rng(devices=self._rng_devices()):
            try:
                q = guide_posterior(self.vae.guide, batch)
            except UnsupportedModelError:
                return None
            units.add(posterior_mean(q))
        return units

    def _end_epoch(self, partial: bool = False) -> None:
        state = self.state
        if self._running[3] > 0:
            self._log_training()
        improved = False
        if self.valid_batches is not None:
            record = {"split": "valid", "step": state.step, "epoch": state.epoch + 1, **self.validate(self.valid_batches)}
            record |= self.end_of_epoch(partial)
            self.log.log(record)
            state.history.append(record)
            self._print_epoch(record)
            valid_loss = {"elbo": -record["elbo"], "loss": record["loss"], "last": -float(state.epoch)}[self.config.select]
            improved = valid_loss < state.best_valid
            if improved:
                state.best_valid, state.bad_epochs = valid_loss, 0
            else:
                state.bad_epochs += 1
        if not partial:
            state.epoch += 1
            state.batches_done = 0
        stop = self.config.patience is not None and state.bad_epochs >= self.config.patience
        stop = self.context.broadcast_flag(stop, self.device)
        if stop:
            state.finished, state.stop_reason = True, f"early stopping after {state.bad_epochs} epochs without improvement"
        elif not partial and state.epoch >= self.config.epochs:
            state.finished, state.stop_reason = True, "epochs"
        self._checkpoint(pointer="best" if improved or self.valid_batches is None else None)

    def _print_epoch(self, record: dict) -> None:
        """The epoch's one-line validation summary and the time left (rank 0)."""
        if not self.context.is_main:
            return
        now = time.perf_counter()
        seconds, self._epoch_started = now - self._epoch_started, now
        print(epoch_line(record["epoch"], self.config.epochs, record, seconds,
                         self._clock.remaining(self.state.step, self.total_steps)), flush=True)

    def _finish(self, reason: str) -> None:
        if not self.state.finished:
            self.state.finished, self.state.stop_reason = True, reason
            self._checkpoint(pointer="best" if self.valid_batches is None else None)
