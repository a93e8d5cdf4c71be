"""``CodecPair``: one codec for the encoder, another for the decoder.

Optimus (Li et al. 2020, "Optimus: Organizing Sentences via Pre-trained Modeling of a Latent
Space", arXiv:2004.04092) encodes a sentence with BERT's WordPiece tokenizer and decodes it with
GPT-2's byte-level BPE: the two networks were pretrained on different vocabularies, so each must
read its own. A pair encodes every sentence twice; the batch carries the decoder's sequence
(``tokens``, what the likelihood scores, in the decoder codec's ids) and the encoder's
(``encoder_ids`` with ``encoder_mask``, in the encoder codec's own layout, e.g.
``[CLS] ... [SEP]``). Text comes back through the decoder codec; per-token figures are per decoder
token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import torch

from pyrovae.text.codec import EncodedSentence, TextCodec
from pyrovae.text.storage import load_codec, save_codec

#: Sub-folders of a saved pair.
ENCODER_FOLDER, DECODER_FOLDER = "encoder", "decoder"


class CodecPair(TextCodec):
    """Encode each sentence with ``encoder`` (for the inference network) and ``decoder`` (for the likelihood).

    Args:
        encoder: the encoder's codec; its :meth:`~TextCodec.encode_sentence` gives the encoder's
            layout (its ``encoder_ids`` when it has one, else ``<bos> ids <eos>`` in its ids).
        decoder: the decoder's codec: special ids, vocabulary size, decoding and token unit.
    """

    def __init__(self, encoder: TextCodec, decoder: TextCodec) -> None:
        self.encoder, self.decoder = encoder, decoder
        self.pad_id, self.bos_id, self.eos_id = decoder.pad_id, decoder.bos_id, decoder.eos_id
        self.unk_id = decoder.unk_id
        self.token_unit = decoder.token_unit

    @property
    def vocab_size(self) -> int:
        return self.decoder.vocab_size

    @property
    def encoder_pad_id(self) -> int:
        return self.encoder.encoder_pad_id

    def encode(self, sentence: str) -> list[int]:
        return self.decoder.encode(sentence)

    def _encoder_layout(self, item: EncodedSentence) -> Sequence[int]:
        if item.encoder_ids is not None:
            return item.encoder_ids
        return [self.encoder.bos_id, *item.ids, self.encoder.eos_id]

    def encode_sentence(self, sentence: str) -> EncodedSentence:
        return self.encode_sentences([sentence])[0]

    def encode_sentences(self, sentences: Sequence[str]) -> list[EncodedSentence]:
        decoded = self.decoder.encode_sentences(sentences)
        encoded = self.encoder.encode_sentences(sentences)
        return [EncodedSentence(d.ids, d.words, self._encoder_layout(e)) for d, e in zip(decoded, encoded)]

    def decode(self, ids: Iterable[int] | torch.Tensor, strip_special: bool = True) -> str:
        return self.decoder.decode(ids, strip_special)

    def save_pretrained(self, directory: Path) -> None:
        save_codec(self.encoder, Path(directory) / ENCODER_FOLDER)
        save_codec(self.decoder, Path(directory) / DECODER_FOLDER)

    @classmethod
    def from_pretrained(cls, directory: Path, namespace: Mapping[str, type] | None = None) -> "CodecPair":
        return cls(
            load_codec(Path(directory) / ENCODER_FOLDER, namespace),
            load_codec(Path(directory) / DECODER_FOLDER, namespace),
        )

    def describe(self) -> str:
        return f"encoder: {self.encoder.describe()}; decoder: {self.decoder.describe()}"
