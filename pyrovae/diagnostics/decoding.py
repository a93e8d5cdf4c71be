"""The decoder's output distributions given chosen codes, read off a Pyro model trace.

The model is run with its latent site conditioned on given codes (or left to draw them from the
prior) and its observed token site is read from the trace: any model whose observation is a
:class:`~pyrovae.distributions.TokenSequence` inside the data plate works, whatever its decoder.
"""

from __future__ import annotations

from typing import Callable

import torch
from pyro import poutine

from pyrovae.distributions.token_sequence import TokenSequence
from pyrovae.errors import UnsupportedModelError
from pyrovae.metrics.aggregate_posterior import latent_sites
from pyrovae.text.batch import TokenBatch


def latent_site_name(guide: Callable, batch: TokenBatch) -> str:
    """The name of the guide's only latent site.

    Raises:
        UnsupportedModelError: the guide has no latent site or several.
    """
    sites = latent_sites(guide, batch)
    if len(sites) != 1:
        raise UnsupportedModelError(
            f"the guide has {len(sites)} latent sites {sorted(sites)}; decoder diagnostics need exactly one"
        )
    return next(iter(sites))


def decoder_distribution(
    model: Callable, batch: TokenBatch, site: str, z: torch.Tensor | None = None
) -> tuple[TokenSequence, torch.Tensor]:
    """The observed token distribution of ``model(batch)`` given codes ``z [B, D]``, and the codes.

    With ``z=None`` the model draws the codes from its prior itself.

    Raises:
        UnsupportedModelError: the model has no observed :class:`TokenSequence` site (or several).
    """
    program = model if z is None else poutine.condition(model, data={site: z})
    trace = poutine.trace(program).get_trace(batch)
    tokens = [
        node["fn"]
        for name, node in trace.nodes.items()
        if node["type"] == "sample" and node["is_observed"] and name != site
    ]
    if len(tokens) != 1 or not isinstance(tokens[0], TokenSequence):
        raise UnsupportedModelError(
            "decoder diagnostics need a model with one observed TokenSequence site (the sentence), "
            f"found {[type(t).__name__ for t in tokens]}"
        )
    if site not in trace.nodes:
        raise UnsupportedModelError(f"the model has no latent site {site!r} (the guide's)")
    return tokens[0], trace.nodes[site]["value"]


def conditional_log_likelihood(model: Callable, batch: TokenBatch, site: str, z: torch.Tensor) -> torch.Tensor:
    """``[B]``: :math:`\\log p(x_b \\mid z_b)` in nats per sentence, float32."""
    tokens, _ = decoder_distribution(model, batch, site, z)
    return tokens.log_prob(batch.targets)
