"""Deterministic networks (no ``pyro.sample``): encoders, decoders and how z enters a decoder.

* :class:`Decoder`: the decoder base class (sample-dimension folding, likelihood, generation on
  an incremental state); :class:`RecurrentDecoder` is the LSTM/GRU one;
* :class:`RecurrentEncoder`; :class:`TokenStates`, the per-token context of set-valued latents;
* injections of z into a recurrent decoder (:class:`InitialStateInjection`,
  :class:`InputConcatInjection`); :class:`WordDropout`.
"""

from pyrovae.nn.context import TokenStates
from pyrovae.nn.decoder import Decoder, TokenChooser, greedy
from pyrovae.nn.injection import (
    InitialStateInjection,
    InputConcatInjection,
    RecurrentInjection,
)
from pyrovae.nn.rnn_decoder import RecurrentDecoder, RecurrentState
from pyrovae.nn.rnn_encoder import RecurrentEncoder
from pyrovae.nn.word_dropout import WordDropout

__all__ = [
    "Decoder",
    "InitialStateInjection",
    "InputConcatInjection",
    "RecurrentDecoder",
    "RecurrentEncoder",
    "RecurrentInjection",
    "RecurrentState",
    "TokenChooser",
    "TokenStates",
    "WordDropout",
    "greedy",
]
