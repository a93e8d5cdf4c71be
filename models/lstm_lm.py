"""LSTM language model: the decoder of ``lstm_vae.py`` with no latent code.

The baseline of every text-VAE paper: a VAE whose rate collapsed to zero should match it,
and a useful latent code should not cost more than a nat or so of test NLL over it.

    pyrovae fit models/lstm_lm.py --data train=ptb/train.txt valid=ptb/valid.txt test=ptb/test.txt
"""

from pyrovae.lm import LanguageModel
from pyrovae.nn import RecurrentDecoder
from pyrovae.text import TextCodec


def build(
    codec: TextCodec,
    embed_dim: int = 256,
    hidden_dim: int = 256,
    cell: str = "lstm",
    dropout: float = 0.5,
) -> LanguageModel:
    decoder = RecurrentDecoder(
        len(codec), 0, embed_dim, hidden_dim, cell=cell, dropout=dropout, pad_id=codec.pad_id
    )
    return LanguageModel(decoder)
