"""Training: the run configuration, the loss module DDP and AMP wrap, the trainer, checkpoints
and the run log."""

from pyrovae.train.config import RunConfig
from pyrovae.train.loss_module import VAELoss
from pyrovae.train.trainer import Trainer, TrainState

__all__ = ["RunConfig", "TrainState", "Trainer", "VAELoss"]
