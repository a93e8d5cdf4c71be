"""Tests of pyrovae.data.text: reading local files and hub datasets."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyrovae.data import Splits, default_corpus, load_splits, read_text_file
from pyrovae.errors import DataError

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_read_strips_and_drops_blank_lines(tmp_path):
    f = write(tmp_path / "a.txt", b"\xef\xbb\xbf first one \r\n\r\n\t\nsecond\rthird  \n   \n")
    assert read_text_file(f) == ["first one", "second", "third"]


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as e:
        read_text_file(tmp_path / "nope.txt")
    assert "nope.txt" in str(e.value) and "does not exist" in str(e.value)
    assert "pass an existing text file" in str(e.value)
    with pytest.raises(DataError, match="is a directory"):
        read_text_file(tmp_path)


def test_blank_only_file_is_empty(tmp_path):
    f = write(tmp_path / "blank.txt", b"\n   \n\t\n")
    with pytest.raises(DataError, match="blank.txt.*is empty"):
        read_text_file(f)
    with pytest.raises(DataError, match="is empty"):
        read_text_file(write(tmp_path / "zero.txt", b""))


def test_latin1_file_names_the_bad_byte(tmp_path):
    f = write(tmp_path / "latin.txt", "a nice day\nthe caf\xe9 is open\n".encode("latin-1"))
    with pytest.raises(DataError) as e:
        read_text_file(f)
    msg = str(e.value)
    assert "latin.txt" in msg and "not valid UTF-8" in msg
    assert "byte offset 18" in msg and "line 2" in msg and "0xe9" in msg
    assert "iconv -f latin1 -t utf-8" in msg and "UTF-8" in msg


def test_load_splits_checks_files_before_datasets(tmp_path):
    train = write(tmp_path / "train.txt", b"a b\nc d\n")
    bad = write(tmp_path / "valid.txt", b"caf\xe9\n")
    with pytest.raises(DataError, match="valid.txt.*not valid UTF-8"):
        load_splits(train, bad)
    with pytest.raises(DataError, match="missing.txt.*does not exist"):
        load_splits(tmp_path / "missing.txt")


def test_local_load_through_datasets_equals_plain_reading(tmp_path):
    corpus = default_corpus()
    assert set(corpus) == {"train", "valid", "test"} and all(p.is_file() for p in corpus.values())
    splits = load_splits(str(corpus["train"]), corpus["valid"], corpus["test"])
    assert isinstance(splits, Splits) and splits.notes == ()
    for name in ("train", "valid", "test"):
        assert splits[name] == read_text_file(corpus[name])
    assert splits.as_dict().keys() == {"train", "valid", "test"}
    assert splits.sources["valid"] == str(corpus["valid"])

    messy = write(tmp_path / "messy.txt", b"  one two \n\n\r\nthree\r\n \xc3\xa9t\xc3\xa9 \n")
    assert load_splits(messy, messy).train == read_text_file(messy) == ["one two", "three", "été"]


def test_missing_valid_holds_out_last_five_percent(tmp_path):
    lines = [f"sentence number {i}" for i in range(100)]
    train = write(tmp_path / "train.txt", "\n".join(lines).encode())
    splits = load_splits(train)
    assert splits.train == lines[:95] and splits.valid == lines[95:]
    assert splits.test is None
    with pytest.raises(KeyError):
        splits["test"]
    assert len(splits.notes) == 1 and "held out the last 5 of 100" in splits.notes[0]
    assert load_splits(train).valid == splits.valid  # deterministic
    one = write(tmp_path / "one.txt", b"only one\n")
    with pytest.raises(DataError, match="too few to hold out"):
        load_splits(one)


def test_hub_name_offline_fails_fast_with_one_clear_error():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # set by conftest
    start = time.perf_counter()
    with pytest.raises(DataError) as e:
        load_splits("hf:stanfordnlp/sst2:default#sentence")
    assert time.perf_counter() - start < 5
    msg = str(e.value)
    assert "could not load dataset 'stanfordnlp/sst2' from the HuggingFace hub (offline?)" in msg
    assert "pass local text files instead" in msg and "--data train=" in msg
    with pytest.raises(DataError, match="has no name"):
        load_splits("hf:")


def test_hub_without_offline_variables_fails_fast_when_unreachable():
    """Without HF_*_OFFLINE, ``datasets`` would retry for ~25 s; we probe the hub first.

    The hub endpoint is pointed at a closed loopback port, so the test sends nothing off the
    machine and behaves the same with or without a network.
    """
    offline = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    env = {k: v for k, v in os.environ.items() if k not in offline}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"
    code = (
        "import time\n"
        "from pyrovae.data.text import load_splits\n"
        "t = time.perf_counter()\n"
        "try:\n    load_splits('hf:stanfordnlp/sst2')\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
        "print('seconds', time.perf_counter() - t)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "DataError could not load dataset 'stanfordnlp/sst2'" in done.stdout
    assert float(done.stdout.split("seconds")[-1]) < 5


def test_ptb_through_datasets_equals_plain_reading(ptb_dir):
    splits = load_splits(ptb_dir / "valid.txt", ptb_dir / "test.txt")
    assert splits.train == read_text_file(ptb_dir / "valid.txt")
    assert len(splits.train) == 3370 and len(splits.valid) == 3761
    assert splits.train[0].startswith("consumers may want")
