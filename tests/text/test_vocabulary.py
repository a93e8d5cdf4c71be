"""Tests of pyrovae.data.vocabulary."""

from __future__ import annotations

import json

import pytest
import torch

from pyrovae.data import read_text_file
from pyrovae.errors import CheckpointError, ConfigError, DataError
from pyrovae.text import Vocabulary

SENTENCES = ["b a c a", "a b d", "e <unk> a", "c b"]  # a:4 b:3 c:2 d:1 e:1


def test_specials_have_fixed_ids():
    vocab = Vocabulary.build(SENTENCES)
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert vocab.tokens[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert [vocab.id(t) for t in Vocabulary.SPECIALS] == [0, 1, 2, 3]


def test_order_is_frequency_then_alphabetical():
    vocab = Vocabulary.build(SENTENCES)
    assert vocab.tokens[4:] == ["a", "b", "c", "d", "e"]
    assert len(vocab) == 9


def test_literal_unk_maps_to_the_special():
    vocab = Vocabulary.build(SENTENCES)
    assert vocab.tokens.count("<unk>") == 1
    assert vocab.encode("e <unk> a") == [vocab.id("e"), vocab.unk_id, vocab.id("a")]


def test_max_size_counts_specials():
    vocab = Vocabulary.build(SENTENCES, max_size=6)
    assert vocab.tokens == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]
    assert vocab.encode("a c") == [4, vocab.unk_id]
    assert len(Vocabulary.build(SENTENCES, max_size=4)) == 4
    with pytest.raises(ConfigError, match="max_size"):
        Vocabulary.build(SENTENCES, max_size=3)


def test_min_count():
    vocab = Vocabulary.build(SENTENCES, min_count=2)
    assert vocab.tokens[4:] == ["a", "b", "c"]
    with pytest.raises(ConfigError, match="min_count"):
        Vocabulary.build(SENTENCES, min_count=0)


def test_build_accepts_token_lists_and_rejects_no_words():
    assert Vocabulary.build([s.split() for s in SENTENCES]) == Vocabulary.build(SENTENCES)
    with pytest.raises(DataError, match="no words"):
        Vocabulary.build(["", "   "])


def test_encode_decode_round_trip():
    vocab = Vocabulary.build(SENTENCES)
    ids = vocab.encode("a b zzz d")
    assert ids == [4, 5, vocab.unk_id, 7]
    assert vocab.encode(["a", "b"]) == [4, 5]
    assert vocab.decode(ids) == "a b <unk> d"
    framed = [vocab.bos_id, *vocab.encode("c a"), vocab.eos_id, 4, vocab.pad_id]
    assert vocab.decode(framed) == "c a"  # stops at <eos>
    assert vocab.decode(torch.tensor(framed)) == "c a"
    assert vocab.decode(framed, strip_special=False) == "<bos> c a <eos>"
    assert "a" in vocab and "zzz" not in vocab
    assert vocab.token(4) == "a" and vocab.id("zzz") == vocab.unk_id
    with pytest.raises(IndexError, match="token id"):
        vocab.token(len(vocab))


def test_constructor_validates_tokens():
    with pytest.raises(DataError, match="special tokens"):
        Vocabulary(["a", "b"])
    with pytest.raises(DataError, match="unique"):
        Vocabulary([*Vocabulary.SPECIALS, "a", "a"])
    with pytest.raises(DataError, match="whitespace"):
        Vocabulary([*Vocabulary.SPECIALS, "a b"])


def test_save_load_round_trip(tmp_path):
    vocab = Vocabulary.build(SENTENCES + ["café naïve"])
    path = tmp_path / "run" / "vocab.json"
    vocab.save(path)
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["format"] == "pyrovae.vocabulary" and payload["version"] == 1
    assert payload["tokens"] == vocab.tokens
    assert Vocabulary.load(path) == vocab
    assert [p.name for p in path.parent.iterdir()] == ["vocab.json"]  # no temporary file left
    vocab2 = Vocabulary.build(["x y"])
    vocab2.save(path)  # overwrite in place
    assert Vocabulary.load(path) == vocab2


def test_load_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        Vocabulary.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "pyrovae.vocabulary", "tok')
    with pytest.raises(CheckpointError, match="not valid UTF-8 JSON"):
        Vocabulary.load(bad)
    bad.write_text(json.dumps({"format": "something.else", "version": 1, "tokens": []}))
    with pytest.raises(CheckpointError, match="not a pyrovae vocabulary"):
        Vocabulary.load(bad)
    bad.write_text(json.dumps({"format": "pyrovae.vocabulary", "version": 99, "tokens": []}))
    with pytest.raises(CheckpointError, match="version 99"):
        Vocabulary.load(bad)
    bad.write_text(json.dumps({"format": "pyrovae.vocabulary", "version": 1, "tokens": ["a"]}))
    with pytest.raises(CheckpointError, match="malformed"):
        Vocabulary.load(bad)


def test_ptb_gives_the_10k_vocabulary(ptb_dir):
    train = read_text_file(ptb_dir / "train.txt")
    vocab = Vocabulary.build(train)
    # PTB (Mikolov) train has 9,999 word types including its own "<unk>"; that one is our special,
    # so 9,998 ordinary words + 4 specials. (Mikolov's "10k" counts "<unk>" and "<eos>".)
    assert len({w for s in train for w in s.split()}) == 9_999
    assert len(vocab) == 10_002
    assert vocab.tokens.count("<unk>") == 1 and vocab.id("<unk>") == vocab.unk_id
    assert vocab.id("N") >= 4 and vocab.token(vocab.id("N")) == "N"
    assert vocab.tokens[4] == "the"
    first_valid = read_text_file(ptb_dir / "valid.txt")[0]
    assert vocab.decode(vocab.encode(first_valid)) == first_valid
