"""Atomic, resumable, verified training checkpoints of one run directory.

A run directory holds its checkpoints under ``RUN_DIR/checkpoints/``::

    checkpoints/
        latest.json              pointer: {"tag": "step-000200", "step": 200, "time": "2024-..Z"}
        best.json                named pointer (optional), same form
        step-000100/
            model.safetensors    model weights, tied weights once (pyrovae.train.weights)
            state.pt             the training state: optimizer, schedule, scaler, objective, RNG...
            manifest.json        format, version, tag, step, time; size and sha256 of each file

Why this layout:

* **Safe to read.** Weights go through safetensors; the training state through :func:`torch.save`
  and is read back with ``torch.load(..., weights_only=True)``, which rebuilds tensors and plain
  python containers only and never runs code from the file. :meth:`CheckpointManager.save` refuses
  a state holding anything else, so a checkpoint that was written can always be resumed.
* **Verified.** Before a file is read its size and sha256 are checked against the manifest: a
  damaged checkpoint gives one :class:`~pyrovae.errors.CheckpointError` naming the file, not a
  traceback (or wrong numbers) later.
* **Atomic.** A checkpoint is written into a hidden temporary sibling folder, every file is
  fsync'ed, and the folder is renamed into place with :func:`os.replace`; only then is the pointer
  file ``latest.json`` replaced (:func:`pyrovae.atomic.atomic_write_json`). A process killed at any
  moment therefore leaves ``latest.json`` naming a complete checkpoint (or no pointer at all, if the
  first save never finished). Older checkpoints are pruned only after the pointer has moved.
* **Resumable.** :meth:`CheckpointManager.load` returns the model weights and the training state;
  with :mod:`pyrovae.train.rng_state` in the state the random streams continue exactly.

Only one process (rank 0 under DDP) may write to a run directory; any number may read.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import Tensor

from pyrovae.atomic import (
    TEMP_PREFIX,
    atomic_write_json,
    fsync_dir,
    fsync_file,
    temporary_sibling,
)
from pyrovae.errors import CheckpointError, ConfigError
from pyrovae.train.weights import load_weights, save_weights

__all__ = ["CheckpointManager"]

FORMAT_NAME = "pyrovae-checkpoint"
FORMAT_VERSION = 2
MODEL_FILE = "model.safetensors"
STATE_FILE = "state.pt"
MANIFEST_FILE = "manifest.json"
LATEST = "latest"

_FORMAT_1_MANIFEST = "state.json"  # what checkpoint format 1 (pyrovae 0.1) wrote instead of MANIFEST_FILE
_OLD_PREFIX = ".old-"
_TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_POINTER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

# What torch.load(weights_only=True) rebuilds. torch.save writes anything picklable, but a state
# holding another type (a numpy scalar, a dataclass) would be refused on resume, so save() refuses
# it up front. Exact types: subclasses (np.float64 is a float) pickle as their own class.
_PLAIN_TYPES = (type(None), bool, int, float, str, bytes, Tensor, torch.nn.Parameter)
_MAPPING_TYPES = (dict, OrderedDict)
_SEQUENCE_TYPES = (list, tuple, torch.Size)

_T = TypeVar("_T")


def _check_loadable(value: Any, where: str) -> None:
    """Raise :class:`CheckpointError`, naming the path, at the first value weights_only cannot read."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return
    if kind in _MAPPING_TYPES:
        for key, item in value.items():
            _check_loadable(key, f"{where} (key {key!r})")
            _check_loadable(item, f"{where}/{key}")
        return
    if kind in _SEQUENCE_TYPES:
        for i, item in enumerate(value):
            _check_loadable(item, f"{where}/{i}")
        return
    raise CheckpointError(
        f"cannot checkpoint {where}: values of type {kind.__name__} are not supported (use "
        "tensors, numbers, strings, None, lists, tuples and dicts)"
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check_tag(tag: str) -> None:
    if not isinstance(tag, str) or not _TAG_RE.match(tag) or tag.endswith(".json"):
        raise CheckpointError(
            f"invalid checkpoint tag {tag!r}: use letters, digits, '.', '_' and '-', starting with "
            "a letter or digit (e.g. 'step-000100')"
        )


def _check_pointer(pointer: str) -> None:
    if not isinstance(pointer, str) or not _POINTER_RE.match(pointer):
        raise CheckpointError(
            f"invalid checkpoint pointer {pointer!r}: use letters, digits, '_' and '-' "
            "(e.g. 'latest', 'best')"
        )


class CheckpointManager:
    """Writes, prunes and reads the checkpoints of one run directory.

    ``run_dir``: the run directory (checkpoints go to ``run_dir/checkpoints``).
    ``keep``: how many of the newest checkpoints (by step, then save time) survive pruning; a
    checkpoint named by any pointer file (``latest.json``, ``best.json``, ...) is never pruned.

    Only one process may save into a run directory at a time (rank 0 under DDP); saving also
    removes leftover temporary folders of killed writers.
    """

    def __init__(self, run_dir: str | os.PathLike[str], keep: int = 2) -> None:
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ConfigError(f"checkpoint keep must be an integer >= 1, got {keep!r}")
        self.run_dir = Path(run_dir)
        self.keep = keep

    # -- paths ---------------------------------------------------------------------------------

    @property
    def checkpoint_root(self) -> Path:
        """The folder holding the checkpoint folders and pointer files."""
        return self.run_dir / "checkpoints"

    def checkpoint_dir(self, tag: str) -> Path:
        """The folder of checkpoint ``tag`` (whether or not it exists)."""
        _check_tag(tag)
        return self.checkpoint_root / tag

    def pointer_path(self, pointer: str = LATEST) -> Path:
        """The JSON pointer file ``checkpoints/<pointer>.json``."""
        _check_pointer(pointer)
        return self.checkpoint_root / f"{pointer}.json"

    # -- saving --------------------------------------------------------------------------------

    def save(
        self,
        tag: str,
        model_state: Mapping[str, Tensor],
        state: Mapping[str, Any],
        *,
        step: int | None = None,
        pointer: str | None = None,
    ) -> Path:
        """Write checkpoint ``tag`` atomically, move ``latest`` (and ``pointer``) to it, prune.

        ``model_state``: the model's ``state_dict()`` (str -> tensor; a tied weight is stored
        once, see :mod:`pyrovae.train.weights`). ``state``: everything else needed to resume
        (optimizer, scheduler, objective state, :func:`~pyrovae.train.rng_state.capture_rng_state`,
        counters...) as tensors, numbers, strings, None, lists, tuples and dicts; anything else
        raises :class:`CheckpointError` naming it. ``step``: the optimisation step recorded in the
        pointer files and used to order checkpoints; defaults to ``state["step"]`` when that is an
        int. ``pointer``: a named pointer (e.g. ``"best"``) to move to this checkpoint as well as
        ``latest``. Re-saving an existing tag replaces it. Returns the checkpoint folder.
        """
        _check_tag(tag)
        if pointer is not None:
            _check_pointer(pointer)
        state = dict(state)
        _check_loadable(state, "state")
        if step is None and isinstance(state.get("step"), int) and not isinstance(state.get("step"), bool):
            step = int(state["step"])
        root = self.checkpoint_root
        root.mkdir(parents=True, exist_ok=True)
        time = _now_iso()

        tmp = temporary_sibling(root / tag)
        tmp.mkdir()
        try:
            save_weights(tmp / MODEL_FILE, model_state)
            torch.save(state, tmp / STATE_FILE)
            files = {}
            for name in (MODEL_FILE, STATE_FILE):
                fsync_file(tmp / name)
                files[name] = {"size": (tmp / name).stat().st_size, "sha256": _sha256(tmp / name)}
            manifest = {
                "format": FORMAT_NAME,
                "version": FORMAT_VERSION,
                "tag": tag,
                "step": step,
                "time": time,
                "files": files,
            }
            atomic_write_json(tmp / MANIFEST_FILE, manifest)  # last: it also fsyncs the folder
            self._move_into_place(tmp, root / tag)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

        record = {"tag": tag, "step": step, "time": time}
        atomic_write_json(self.pointer_path(LATEST), record)
        if pointer is not None and pointer != LATEST:
            atomic_write_json(self.pointer_path(pointer), record)
        self._prune()
        return root / tag

    def _move_into_place(self, tmp: Path, final: Path) -> None:
        """Rename the finished ``tmp`` folder to ``final``, replacing an existing checkpoint.

        A non-empty folder cannot be renamed over, so an existing ``final`` is first renamed aside
        to ``.old-<tag>...``; if a kill lands between the two renames, :meth:`load` falls back to
        that complete aside copy.
        """
        aside: Path | None = None
        if final.exists():
            aside = temporary_sibling(final, _OLD_PREFIX)
            os.replace(final, aside)
        os.replace(tmp, final)
        fsync_dir(final.parent)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    def _referenced_tags(self) -> set[str]:
        tags: set[str] = set()
        for path in self.checkpoint_root.glob("*.json"):
            if path.name.startswith("."):
                continue
            try:
                tag = json.loads(path.read_text(encoding="utf-8")).get("tag")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(tag, str):
                tags.add(tag)
        return tags

    def _prune(self) -> None:
        """Delete leftovers of killed writers and all but the newest ``keep`` unreferenced checkpoints."""
        root = self.checkpoint_root
        referenced = self._referenced_tags()
        found: list[tuple[Any, str, str]] = []
        for entry in root.iterdir():
            name = entry.name
            if name.startswith(TEMP_PREFIX):
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                continue
            if name.startswith(_OLD_PREFIX):
                original = name[len(_OLD_PREFIX):].rsplit(".", 2)[0]
                if (root / original).is_dir():  # the replacement made it into place
                    shutil.rmtree(entry, ignore_errors=True)
                continue
            if not entry.is_dir() or not _TAG_RE.match(name):
                continue
            try:
                manifest = json.loads((entry / MANIFEST_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # not ours, damaged or of an earlier format: leave it for a human
            step = manifest.get("step")
            found.append((step if isinstance(step, int) else -1, str(manifest.get("time", "")), name))
        found.sort(reverse=True)
        for _, _, name in found[self.keep:]:
            if name not in referenced:
                shutil.rmtree(root / name, ignore_errors=True)

    # -- reading -------------------------------------------------------------------------------

    def read_pointer(self, pointer: str = LATEST) -> dict[str, Any] | None:
        """The pointer record ``{"tag", "step", "time"}``, or None if the pointer does not exist."""
        path = self.pointer_path(pointer)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"cannot read checkpoint pointer {path}: {exc}") from exc
        try:
            record = json.loads(text)
        except ValueError as exc:
            raise CheckpointError(f"checkpoint pointer {path} is corrupt (not JSON): {exc}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("tag"), str):
            raise CheckpointError(f"checkpoint pointer {path} is corrupt: it names no tag")
        return record

    def exists(self, pointer: str = LATEST) -> bool:
        """Whether ``pointer`` exists and names a checkpoint whose files are all present."""
        try:
            self._resolve(pointer)
        except CheckpointError:
            return False
        return True

    def _missing_message(self, pointer: str) -> str:
        if pointer == LATEST:
            return f"no checkpoint in {self.run_dir}: run `pyrovae fit` first, or drop --resume"
        return (
            f"no {pointer!r} checkpoint in {self.run_dir}: it is written when a run saves one "
            f"(run `pyrovae fit` first)"
        )

    def _resolve(self, pointer: str) -> tuple[str, Path, dict[str, Any]]:
        """The tag, folder and file records of the checkpoint ``pointer`` names.

        Checks the manifest and that every file is present with its recorded size (cheap); the
        checksums are checked when a file is read (:meth:`_read`).
        """
        record = self.read_pointer(pointer)
        if record is None:
            raise CheckpointError(self._missing_message(pointer))
        tag = record["tag"]
        _check_tag(tag)
        folder = self.checkpoint_root / tag
        if not folder.is_dir():
            # A kill between the two renames of a re-saved tag leaves the old copy aside.
            asides = sorted(self.checkpoint_root.glob(f"{_OLD_PREFIX}{tag}.*"))
            if asides:
                folder = asides[-1]
            else:
                raise CheckpointError(
                    f"checkpoint {tag!r} named by {self.pointer_path(pointer)} is missing from "
                    f"{self.checkpoint_root}: the run directory is incomplete; restore it or start "
                    "a new run"
                )
        if not (folder / MANIFEST_FILE).exists() and (folder / _FORMAT_1_MANIFEST).exists():
            raise CheckpointError(
                f"checkpoint {tag!r} in {self.checkpoint_root} was written by an earlier pyrovae "
                f"(checkpoint format 1); this pyrovae reads checkpoint format {FORMAT_VERSION}: "
                "retrain the model, or use pyrovae 0.1 to evaluate it"
            )
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(self._corrupt(tag, f"cannot read {MANIFEST_FILE}: {exc}")) from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise CheckpointError(self._corrupt(tag, f"{MANIFEST_FILE} is not a pyrovae checkpoint manifest"))
        if manifest.get("version") != FORMAT_VERSION:
            raise CheckpointError(
                f"checkpoint {tag!r} in {self.checkpoint_root} has format version "
                f"{manifest.get('version')!r}; this pyrovae reads version {FORMAT_VERSION}"
            )
        files = manifest.get("files")
        for name in (MODEL_FILE, STATE_FILE):
            expected = files.get(name) if isinstance(files, dict) else None
            if not isinstance(expected, dict) or not isinstance(expected.get("size"), int):
                raise CheckpointError(self._corrupt(tag, f"{MANIFEST_FILE} does not describe {name}"))
            path = folder / name
            if not path.is_file():
                raise CheckpointError(self._corrupt(tag, f"{name} is missing"))
            actual = path.stat().st_size
            if actual != expected["size"]:
                raise CheckpointError(
                    self._corrupt(tag, f"{name} has {actual} bytes, expected {expected['size']} (truncated?)")
                )
        return tag, folder, files

    def _corrupt(self, tag: str, why: str) -> str:
        return (
            f"checkpoint {tag!r} in {self.checkpoint_root} is incomplete or corrupt ({why}); delete "
            "that folder and its pointer, or start a new run"
        )

    def _read(self, tag: str, folder: Path, files: dict[str, Any], name: str, read: Callable[[Path], _T]) -> _T:
        """``read(folder / name)`` once the file matches its manifest checksum."""
        path = folder / name
        if _sha256(path) != files[name].get("sha256"):
            raise CheckpointError(
                self._corrupt(tag, f"{name} does not match its sha256 checksum: it was damaged after it was written")
            )
        try:
            return read(path)
        except Exception as exc:  # a file with the right checksum that this pyrovae cannot read
            raise CheckpointError(self._corrupt(tag, f"cannot read {name}: {exc}")) from exc

    def load(
        self, pointer: str = LATEST, *, device: str | torch.device = "cpu"
    ) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """Read the checkpoint ``pointer`` names: ``(model weights, training state)``.

        Tensors are placed on ``device``. Raises :class:`CheckpointError` if there is no such
        checkpoint, or it is incomplete, corrupt or of another format.
        """
        tag, folder, files = self._resolve(pointer)
        weights = self._read(tag, folder, files, MODEL_FILE, lambda path: load_weights(path, device))
        state = self._read(
            tag, folder, files, STATE_FILE, lambda path: torch.load(path, map_location=device, weights_only=True)
        )
        if not isinstance(state, dict):
            raise CheckpointError(self._corrupt(tag, f"{STATE_FILE} does not hold a dict"))
        return weights, state

    def load_model_weights(
        self, pointer: str = LATEST, *, device: str | torch.device = "cpu"
    ) -> dict[str, Tensor]:
        """Read only the model weights of the checkpoint ``pointer`` names (e.g. for evaluation)."""
        tag, folder, files = self._resolve(pointer)
        return self._read(tag, folder, files, MODEL_FILE, lambda path: load_weights(path, device))
