"""Atomic file writes: a reader (or a process killed mid-write) sees the old file or the new one.

Every write goes to a hidden temporary file in the same folder (same file system, so the final
rename is atomic), is fsync'ed, replaces the target with :func:`os.replace`, and the folder is
fsync'ed so the rename itself survives a power cut. Temporary names start with
:data:`TEMP_PREFIX`: the owner of a folder (e.g. :class:`pyrovae.train.checkpoint.CheckpointManager`)
can delete the leftovers of killed writers by that prefix.

This module sits at the bottom of the package: it imports nothing from pyrovae.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

__all__ = [
    "TEMP_PREFIX",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "fsync_dir",
    "fsync_file",
    "temporary_sibling",
]

TEMP_PREFIX = ".tmp-"


def temporary_sibling(path: Path, prefix: str = TEMP_PREFIX) -> Path:
    """A fresh hidden name next to ``path``: ``<prefix><name>.<pid>.<8 hex digits>``.

    The pid and random suffix keep concurrent or restarted writers apart; the original name stays
    recoverable as ``name[len(prefix):].rsplit(".", 2)[0]``.
    """
    return path.with_name(f"{prefix}{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Flush a directory entry (a rename inside it) to disk; a no-op where unsupported."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Flush an already written file's contents to disk."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old or the new file.

    Parent folders are created. On any failure (or interrupt) the temporary file is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 (newlines as given, never translated) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented, strict JSON to ``path`` atomically.

    Strict: NaN and infinities raise :class:`ValueError` (other readers reject them) before
    anything is written.
    """
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write_text(path, text)
