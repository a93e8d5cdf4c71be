"""A masked categorical distribution over padded token sequences."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pyro.distributions import TorchDistribution, constraints


class TokenSequence(TorchDistribution):
    r"""Independent categoricals over the first ``lengths`` positions of a padded sequence.

    For logits :math:`\ell \in \mathbb{R}^{\ldots \times T \times V}` and lengths :math:`n`,

    .. math:: \log p(x) = \sum_{t < n} \log \operatorname{softmax}(\ell_t)_{x_t},

    i.e. an autoregressive decoder's likelihood once the logits were computed by teacher forcing.
    Positions ``t >= n`` (padding) contribute nothing. Log-probabilities are computed in float32
    whatever the dtype of the logits, so mixed-precision training does not round the likelihood.

    Args:
        logits: ``[..., T, V]`` unnormalised log-probabilities.
        lengths: ``LongTensor`` broadcastable to ``logits.shape[:-2]``: the number of scored
            positions per sequence (words plus one end-of-sentence token in pyrovae batches).
        pad_id: the value written at padded positions by :meth:`sample`.

    ``batch_shape = logits.shape[:-2]`` (broadcast with ``lengths``), ``event_shape = (T,)``;
    :meth:`log_prob` is in nats per sequence.
    """

    # No constraint on the logits: validating them is a full extra pass over [.., T, V] on every
    # call (10% of importance-sampling time); a NaN logit already makes the log-probability NaN,
    # which the trainer reports with the step and the term. Sample values are still validated.
    arg_constraints: dict = {}
    support = constraints.independent(constraints.nonnegative_integer, 1)
    has_rsample = False

    def __init__(
        self,
        logits: torch.Tensor,
        lengths: torch.Tensor,
        pad_id: int = 0,
        validate_args: bool | None = None,
    ) -> None:
        if logits.dim() < 2:
            raise ValueError(f"logits must be [..., T, V], got shape {tuple(logits.shape)}")
        batch_shape = torch.broadcast_shapes(logits.shape[:-2], lengths.shape)
        self.logits = logits
        self.lengths = lengths
        self.pad_id = pad_id
        super().__init__(batch_shape, logits.shape[-2:-1], validate_args=validate_args)

    @property
    def num_positions(self) -> int:
        return self.logits.shape[-2]

    def mask(self) -> torch.Tensor:
        """``BoolTensor [..., T]``: which positions are scored."""
        positions = torch.arange(self.num_positions, device=self.logits.device)
        return positions < self.lengths.unsqueeze(-1)

    def expand(self, batch_shape, _instance=None) -> "TokenSequence":
        batch_shape = torch.Size(batch_shape)
        new = self._get_checked_instance(TokenSequence, _instance)
        new.logits = self.logits.expand(batch_shape + self.logits.shape[-2:])
        new.lengths = self.lengths.expand(batch_shape)
        new.pad_id = self.pad_id
        super(TokenSequence, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def token_log_probs(self, value: torch.Tensor) -> torch.Tensor:
        """``[..., T]`` float32 log-probabilities of each token, 0 at padded positions."""
        if self._validate_args:
            self._validate_sample(value)
        shape = torch.broadcast_shapes(self.logits.shape[:-1], value.shape)
        logits = self.logits.expand(shape + self.logits.shape[-1:])
        value = value.expand(shape)
        # cross_entropy fuses log_softmax and gather without keeping a second [.., T, V] tensor.
        nll = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]).float(), value.reshape(-1), reduction="none"
        ).view(shape)
        mask = self.mask().expand(shape)
        return -nll.masked_fill(~mask, 0.0)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        return self.token_log_probs(value).sum(-1)

    def sample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        with torch.no_grad():
            shape = self._extended_shape(sample_shape)
            logits = self.logits.expand(shape + self.logits.shape[-1:]).float()
            draws = torch.distributions.Categorical(logits=logits).sample()
            return draws.masked_fill(~self.mask().expand(shape), self.pad_id)
