"""Generation: decoding strategies, homotopies between codes, and sentences from a trained model.

* :mod:`pyrovae.generation.decoding`: greedy, ancestral, top-k and nucleus ``choose`` callables;
* :mod:`pyrovae.generation.homotopy`: linear interpolation between two codes (Bowman et al. 2016);
* :mod:`pyrovae.generation.generator`: :class:`SentenceGenerator`, codes from the prior or the
  posterior decoded into text, and reconstructions of a corpus.
"""

from pyrovae.generation.decoding import (
    DECODING_STRATEGIES,
    Nucleus,
    SamplingStrategy,
    TokenChooser,
    TopK,
    ancestral,
    describe,
    greedy,
    strategy,
)
from pyrovae.generation.generator import SentenceGenerator
from pyrovae.generation.homotopy import homotopy

__all__ = [
    "DECODING_STRATEGIES",
    "Nucleus",
    "SamplingStrategy",
    "SentenceGenerator",
    "TokenChooser",
    "TopK",
    "ancestral",
    "describe",
    "greedy",
    "homotopy",
    "strategy",
]
