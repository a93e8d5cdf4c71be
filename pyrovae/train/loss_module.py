"""The module DDP wraps and AMP runs: a model/guide pair plus its objective."""

from __future__ import annotations

import torch
from torch import nn

from pyrovae.infer.objective import Objective


class VAELoss(nn.Module):
    """``forward(*args) -> loss per data point`` of ``objective`` on ``vae.model``/``vae.guide``.

    Holding the VAE and the objective in one module lets ``DistributedDataParallel`` see every
    trainable parameter (including an objective's learned multipliers) and synchronise their
    gradients; Pyro's ``SVI.step`` calls ``backward`` itself and could not be wrapped this way.
    The loss is the objective's sum over data points divided by their number, so learning
    rates do not depend on the batch size. After a call, ``objective.last_terms`` holds the
    true ELBO, rate and distortion (nats per data point).
    """

    def __init__(self, vae: nn.Module, objective: Objective) -> None:
        super().__init__()
        self.vae = vae
        self.objective = objective

    def forward(self, *args, **kwargs) -> torch.Tensor:
        loss = self.objective.differentiable_loss(self.vae.model, self.vae.guide, *args, **kwargs)
        return loss / self.objective.last_terms.num_data
