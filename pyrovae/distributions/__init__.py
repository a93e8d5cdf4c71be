"""Distributions pyrovae adds to Pyro's (with their KL registrations, where any)."""

from pyrovae.distributions.token_sequence import TokenSequence

__all__ = ["TokenSequence"]
