"""Atomic writes: the target holds the old or the new content, and no temporary file is left."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pyrovae.atomic import (
    TEMP_PREFIX,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    fsync_dir,
    fsync_file,
    temporary_sibling,
)


def test_writes_create_folders_replace_and_leave_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.json"
    atomic_write_json(path, {"a": 1, "b": [1, 2], "word": "café"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": 1, "b": [1, 2], "word": "café"}
    atomic_write_text(path, "replaced\r\nline\n")
    assert path.read_bytes() == b"replaced\r\nline\n"  # newlines as given
    atomic_write_bytes(path, b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]


def test_non_finite_json_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    atomic_write_text(path, "old\n")
    with pytest.raises(ValueError):
        atomic_write_json(path, {"x": float("nan")})
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_failed_replace_keeps_the_old_file_and_removes_the_temporary_one(tmp_path, monkeypatch) -> None:
    path = tmp_path / "log.csv"
    atomic_write_text(path, "old\n")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["log.csv"]


def test_temporary_sibling_is_hidden_unique_and_names_its_original(tmp_path: Path) -> None:
    path = tmp_path / "step-0001.json"
    first, second = temporary_sibling(path), temporary_sibling(path, ".old-")
    assert first.parent == second.parent == tmp_path and first != temporary_sibling(path)
    assert first.name.startswith(TEMP_PREFIX) and second.name.startswith(".old-")
    assert first.name[len(TEMP_PREFIX):].rsplit(".", 2)[0] == "step-0001.json"


def test_fsync_helpers(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    fsync_file(path)
    fsync_dir(tmp_path)
    fsync_dir(tmp_path / "missing")  # unsupported or absent: a no-op
    with pytest.raises(FileNotFoundError):
        fsync_file(tmp_path / "missing")
