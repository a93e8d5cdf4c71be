"""The module DDP wraps and AMP runs: a model/guide pair plus its objective."""

from __future__ import annotations

import torch
from torch import nn

from pyrovae.infer.objective import Objective, TermsSummary


class VAELoss(nn.Module):
    """``forward(*args) -> (loss per data point, terms)`` of ``objective`` on ``vae.model``/``vae.guide``.

    Holding the VAE and the objective in one module lets ``DistributedDataParallel`` see every
    trainable parameter (including an objective's learned multipliers) and synchronise their
    gradients; Pyro's ``SVI.step`` calls ``backward`` itself and could not be wrapped this way.
    The loss is the objective's sum over data points divided by their number, so learning
    rates do not depend on the batch size. The :class:`~pyrovae.infer.TermsSummary` beside it
    holds the true ELBO, rate and distortion (nats per data point) and the number of data points
    of this very call.
    """

    def __init__(self, vae: nn.Module, objective: Objective) -> None:
        super().__init__()
        self.vae = vae
        self.objective = objective

    def forward(self, *args, **kwargs) -> tuple[torch.Tensor, TermsSummary]:
        loss, terms = self.objective.loss_and_terms(self.vae.model, self.vae.guide, *args, **kwargs)
        return loss / terms.num_data, terms
