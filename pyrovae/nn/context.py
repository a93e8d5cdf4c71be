"""What an encoder hands the posterior: one pooled vector per sentence, or one state per token.

Encoders of the sentence-VAE literature pool a sentence into one vector ``h [B, H]`` (a plain
tensor: the last RNN state, a [CLS] vector, a mean). Latents over a variable number of vectors
(NVIB's Dirichlet-process mixture, one Gaussian per token) need every token's state and which
positions are real: :class:`TokenStates`. A posterior takes whichever its family needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TokenStates:
    """Per-token encoder states and their padding mask.

    Attributes:
        states: ``[B, S, H]`` one vector per encoder position.
        mask: ``BoolTensor [B, S]``, true at the real positions (false at padding).
    """

    states: torch.Tensor
    mask: torch.Tensor

    def __post_init__(self) -> None:
        if self.states.dim() != 3 or self.mask.shape != self.states.shape[:2]:
            raise ValueError(
                f"token states must be [B, S, H] with a [B, S] mask, got {tuple(self.states.shape)} "
                f"and {tuple(self.mask.shape)}"
            )

    @property
    def lengths(self) -> torch.Tensor:
        """``LongTensor [B]``: real positions per sentence."""
        return self.mask.sum(-1)

    @property
    def hidden_dim(self) -> int:
        return self.states.shape[-1]
