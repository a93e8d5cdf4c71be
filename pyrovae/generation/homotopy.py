r"""Homotopies: straight paths between two latent codes.

Bowman et al. (2016, section 5) decode the points of the linear interpolation between two codes,

.. math:: z(t) = (1 - t)\, z_0 + t\, z_1, \qquad t \in \{0, \tfrac{1}{S-1}, \dots, 1\},

to see what lies between two sentences: either the codes of two sentences (their posterior means)
or two draws from the prior (Prokhorov et al. 2019, Table 2). The endpoints are exactly ``z_0``
and ``z_1``, so under greedy decoding the ends of a sentence homotopy are the two sentences'
reconstructions.

References: Bowman et al., "Generating Sentences from a Continuous Space" (arXiv:1511.06349);
Prokhorov et al. (arXiv:1909.13668).
"""

from __future__ import annotations

import torch

from pyrovae.errors import ConfigError


def homotopy(z_start: torch.Tensor, z_end: torch.Tensor, num_steps: int) -> torch.Tensor:
    """``[num_steps, D]``: evenly spaced points from ``z_start`` to ``z_end`` (both ``[D]``),
    endpoints included exactly.

    Raises:
        ConfigError: ``num_steps < 2``.
        ValueError: the codes are not two vectors of the same size.
    """
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 2:
        raise ConfigError(f"a homotopy needs at least 2 steps (its two endpoints), got {num_steps!r}")
    if z_start.dim() != 1 or z_start.shape != z_end.shape:
        raise ValueError(f"expected two codes of shape [D], got {tuple(z_start.shape)} and {tuple(z_end.shape)}")
    t = torch.linspace(0.0, 1.0, num_steps, dtype=z_start.dtype, device=z_start.device).unsqueeze(-1)
    return (1 - t) * z_start + t * z_end
