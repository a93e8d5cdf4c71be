"""Deterministic networks (no ``pyro.sample``): encoders, decoders, latent couplings."""

from pyrovae.nn.injection import InitialStateInjection, InputConcatInjection, LatentInjection
from pyrovae.nn.rnn_decoder import RecurrentDecoder, greedy
from pyrovae.nn.rnn_encoder import RecurrentEncoder
from pyrovae.nn.word_dropout import WordDropout

__all__ = [
    "InitialStateInjection",
    "InputConcatInjection",
    "LatentInjection",
    "RecurrentDecoder",
    "RecurrentEncoder",
    "WordDropout",
    "greedy",
]
