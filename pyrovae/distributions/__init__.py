"""Distributions pyrovae adds to Pyro's (with their KL registrations, where any), and the
tensor convention of set-valued codes."""

from pyrovae.distributions.token_sequence import TokenSequence
from pyrovae.distributions.weighted_set import (
    split_weighted_set,
    uniform_weights,
    weighted_set,
)

__all__ = ["TokenSequence", "split_weighted_set", "uniform_weights", "weighted_set"]
