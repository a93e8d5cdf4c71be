"""Text as the networks see it: codecs (sentences to token ids and back) and the padded batch.

* :class:`TextCodec`: the protocol; :class:`Vocabulary` (word level, the default),
  :class:`HuggingFaceCodec` (a pretrained tokenizer), :class:`CodecPair` (encoder and decoder
  tokenise differently);
* :class:`TokenBatch`: padded decoder sequences, the encoder's own inputs, lengths and word counts;
* :func:`save_codec`, :func:`load_codec`: a codec inside a run directory.
"""

from pyrovae.text.batch import TokenBatch
from pyrovae.text.codec import EncodedSentence, TextCodec
from pyrovae.text.huggingface import HuggingFaceCodec
from pyrovae.text.pair import CodecPair
from pyrovae.text.storage import load_codec, save_codec
from pyrovae.text.vocabulary import Vocabulary

__all__ = [
    "CodecPair",
    "EncodedSentence",
    "HuggingFaceCodec",
    "TextCodec",
    "TokenBatch",
    "Vocabulary",
    "load_codec",
    "save_codec",
]
