"""Word dropout on decoder inputs (Bowman et al. 2016)."""

from __future__ import annotations

import torch
from torch import nn


class WordDropout(nn.Module):
    """Replace each decoder input token by ``<unk>`` with probability ``p`` while training.

    Weakening teacher forcing this way makes the decoder rely more on the latent code.
    The first position (``<bos>``) is never dropped.

    Reference: Bowman et al., "Generating Sentences from a Continuous Space", CoNLL 2016
    (arXiv:1511.06349), paragraph "Word dropout and historyless decoding".
    """

    def __init__(self, p: float, unk_id: int) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"word dropout must be in [0, 1), got {p}")
        self.p = p
        self.unk_id = unk_id

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return inputs
        drop = torch.rand(inputs.shape, device=inputs.device) < self.p
        drop[..., 0] = False
        return inputs.masked_fill(drop, self.unk_id)

    def extra_repr(self) -> str:
        return f"p={self.p}, unk_id={self.unk_id}"
