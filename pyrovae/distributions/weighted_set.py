r"""Set-valued codes: a variable number of weighted vectors per sentence, as one tensor.

Latents over a *set* of vectors (one Gaussian vector per token; NVIB's Dirichlet-process mixture
of Henderson & Fehr, "A VAE for Transformers with Nonparametric Variational Information
Bottleneck", ICLR 2023) are pyro sample sites like any other, so their value must be one tensor
that also says which slots are present. pyrovae's convention: a code is ``[..., K, D + 1]``,
``K`` slots, each a ``D``-vector followed by its weight :math:`\pi_k \ge 0` (the weights of a
code sum to one; :math:`\pi_k = 0` marks a slot that is absent, e.g. padding). A decoder that
attends to the set (``latent_event_dims = 2``) reads both with :func:`split_weighted_set` and
never needs the batch's padding mask; codes drawn from a prior for generation carry their own
weights too.
"""

from __future__ import annotations

import torch


def weighted_set(vectors: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``[..., K, D + 1]``: slot vectors ``[..., K, D]`` with their weights ``[..., K]`` appended."""
    return torch.cat([vectors, weights.unsqueeze(-1).to(vectors.dtype)], -1)


def split_weighted_set(code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(vectors [..., K, D], weights [..., K])`` of a set-valued code ``[..., K, D + 1]``."""
    return code[..., :-1], code[..., -1]


def uniform_weights(mask: torch.Tensor) -> torch.Tensor:
    """``[..., K]`` weights ``1 / n`` on the ``n`` present slots of ``mask [..., K]``, 0 elsewhere."""
    mask = mask.to(torch.get_default_dtype())
    return mask / mask.sum(-1, keepdim=True).clamp(min=1.0)
