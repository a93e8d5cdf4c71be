r"""Decoding strategies: how the next token is chosen from the decoder's logits.

Each strategy is a ``choose`` callable for :meth:`pyrovae.nn.Decoder.generate` (and
:meth:`pyrovae.vae.TextVAE.decode`): float logits ``[N, V]`` in, token ids ``[N]`` out.

* :func:`greedy` picks :math:`\arg\max_v \ell_v`;
* :func:`ancestral` samples :math:`v \sim \operatorname{softmax}(\ell)`, the model's own
  distribution;
* :class:`TopK` samples from the ``k`` most probable tokens, renormalised (Fan et al. 2018);
* :class:`Nucleus` samples from the smallest set of most probable tokens whose probability mass
  reaches ``p`` (Holtzman et al. 2019):

  .. math:: V^{(p)} = \{v_{(1)}, \dots, v_{(m)}\}, \quad
      m = \min\Big\{j : \textstyle\sum_{i \le j} \pi_{(i)} \ge p\Big\},

  with :math:`\pi_{(1)} \ge \pi_{(2)} \ge \dots` the sorted next-token probabilities. A token is
  kept when the mass of the tokens strictly before it in that order is below ``p``.

The sampling strategies share one step: mask the tokens outside the support to :math:`-\infty`
(:meth:`SamplingStrategy.filter`), then draw from the softmax of what is left with
``torch.multinomial``, i.e. from the global torch RNG that ``pyro.set_rng_seed`` seeds. Hence
``TopK(V)`` and ``Nucleus(1.0)`` draw exactly the tokens :func:`ancestral` draws from the same RNG
state, and ``TopK(1)`` and ``Nucleus(p)`` for small ``p`` return the greedy token.

References: Fan et al., "Hierarchical Neural Story Generation" (arXiv:1805.04833); Holtzman et
al., "The Curious Case of Neural Text Degeneration" (arXiv:1904.09751); Prokhorov et al., "On the
Importance of the Kullback-Leibler Divergence Term in Variational Autoencoders for Text
Generation" (arXiv:1909.13668) compare the three on text VAEs.
"""

from __future__ import annotations

import math

import torch

from pyrovae.errors import ConfigError
from pyrovae.nn.decoder import TokenChooser, greedy

__all__ = [
    "DECODING_STRATEGIES",
    "Nucleus",
    "SamplingStrategy",
    "TokenChooser",
    "TopK",
    "ancestral",
    "describe",
    "greedy",
    "strategy",
]


class SamplingStrategy:
    """Sample the next token from the softmax of :meth:`filter`-ed logits.

    The base class filters nothing: it is ancestral sampling. Subclasses override
    :meth:`filter` to restrict the support.
    """

    label = "ancestral"

    def filter(self, logits: torch.Tensor) -> torch.Tensor:
        """``[N, V]`` logits with the tokens outside the support set to ``-inf``."""
        return logits

    def support(self, logits: torch.Tensor) -> torch.Tensor:
        """``BoolTensor [N, V]``: the tokens this strategy can emit given ``logits``."""
        return self.filter(logits) > -math.inf

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(self.filter(logits).float(), dim=-1)
        return torch.multinomial(probs, 1).squeeze(-1)

    def __repr__(self) -> str:
        return "ancestral"


#: Ancestral sampling from the model's next-token distribution.
ancestral = SamplingStrategy()


class TopK(SamplingStrategy):
    """Sample from the ``k`` most probable tokens (Fan et al. 2018, arXiv:1805.04833).

    Exactly ``k`` tokens are kept (ties at the ``k``-th logit are broken by ``torch.topk``);
    ``k`` at least the vocabulary size keeps every token.

    Raises:
        ConfigError: ``k`` is not a positive integer.
    """

    def __init__(self, k: int) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(f"top-k decoding needs k >= 1 (an integer), got {k!r}")
        self.k = k
        self.label = f"top-{k}"

    def filter(self, logits: torch.Tensor) -> torch.Tensor:
        if self.k >= logits.shape[-1]:
            return logits
        values, indices = logits.topk(self.k, dim=-1)
        return torch.full_like(logits, -math.inf).scatter(-1, indices, values)

    def __repr__(self) -> str:
        return f"TopK(k={self.k})"


class Nucleus(SamplingStrategy):
    r"""Sample from the smallest set of most probable tokens with mass at least ``p``
    (Holtzman et al. 2019, arXiv:1904.09751); see the module docstring for the set.

    The most probable token is always kept, so as ``p -> 0`` this is greedy decoding; ``p = 1``
    keeps every token (the full distribution, with no rounding of the cumulative sum).

    Raises:
        ConfigError: ``p`` is not in ``(0, 1]``.
    """

    def __init__(self, p: float) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 < p <= 1.0:
            raise ConfigError(f"nucleus decoding needs p in (0, 1], got {p!r}")
        self.p = float(p)
        self.label = f"nucleus p={self.p:g}"

    def filter(self, logits: torch.Tensor) -> torch.Tensor:
        if self.p >= 1.0:
            return logits
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        probs = torch.softmax(sorted_logits.double(), dim=-1)
        mass_before = probs.cumsum(-1) - probs
        drop_sorted = mass_before >= self.p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        return logits.masked_fill(drop, -math.inf)

    def __repr__(self) -> str:
        return f"Nucleus(p={self.p})"


#: The strategies by the name the command line uses, each built from ``(k, p)``.
_FACTORIES = {
    "greedy": lambda k, p: greedy,
    "ancestral": lambda k, p: ancestral,
    "top-k": lambda k, p: TopK(k),
    "nucleus": lambda k, p: Nucleus(p),
}

#: Names of the strategies as the command line spells them.
DECODING_STRATEGIES = tuple(_FACTORIES)


def strategy(name: str, k: int | None = None, p: float | None = None) -> TokenChooser:
    """The strategy called ``name`` (one of :data:`DECODING_STRATEGIES`); ``top-k`` needs ``k``
    and ``nucleus`` needs ``p``; the others ignore them.

    Raises:
        ConfigError: an unknown name, or a missing or invalid ``k``/``p``.
    """
    if name not in _FACTORIES:
        raise ConfigError(f"unknown decoding strategy {name!r}: expected one of {', '.join(DECODING_STRATEGIES)}")
    return _FACTORIES[name](k, p)


def describe(choose: TokenChooser) -> str:
    """A short name of a strategy for headings: ``greedy``, ``top-15``, ``nucleus p=0.9``."""
    return getattr(choose, "label", getattr(choose, "__name__", type(choose).__name__))
