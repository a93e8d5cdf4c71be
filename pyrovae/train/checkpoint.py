"""Atomic, resumable training checkpoints: weights and tensors in safetensors, the rest in JSON.

A run directory holds its checkpoints under ``RUN_DIR/checkpoints/``::

    checkpoints/
        latest.json              pointer: {"tag": "step-000200", "step": 200, "time": "2024-..Z"}
        best.json                named pointer (optional), same form
        step-000100/
            model.safetensors    model weights (state_dict), metadata {"format": "pt"}
            state.safetensors    every tensor of the training state (optimizer moments, RNG...)
            state.json           manifest + JSON skeleton of the training state

Why this layout:

* **No pickles.** ``torch.save``/``torch.load`` unpickle arbitrary code; here tensors go through
  safetensors and everything else (counters, hyper-parameters, dict structure) through JSON.
  :func:`flatten_state` splits a nested state (an ``optimizer.state_dict()``, a scheduler's, RNG
  states, ...) into the two and :func:`unflatten_state` puts it back exactly: integer dict keys stay
  integers, tuples stay tuples, non-finite floats survive.
* **Atomic.** A checkpoint is written into a hidden temporary sibling folder, every file is
  fsync'ed, and the folder is renamed into place with :func:`os.replace`; only then is the pointer
  file ``latest.json`` replaced (temp file + fsync + :func:`os.replace`). A process killed at any
  moment therefore leaves ``latest.json`` naming a complete checkpoint (or no pointer at all, if the
  first save never finished). Older checkpoints are pruned only after the pointer has moved.
* **Resumable.** :meth:`CheckpointManager.load` returns the model weights and the training state;
  :func:`capture_rng_state`/:func:`restore_rng_state` make the random streams continue exactly.

Only one process (rank 0 under DDP) may write to a run directory; any number may read.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import random
import re
import shutil
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.torch
import torch
from torch import Tensor

from pyrovae.errors import CheckpointError, ConfigError

__all__ = [
    "CheckpointManager",
    "atomic_write_json",
    "atomic_write_text",
    "capture_rng_state",
    "flatten_state",
    "restore_rng_state",
    "unflatten_state",
]

FORMAT_NAME = "pyrovae-checkpoint"
FORMAT_VERSION = 1
MODEL_FILE = "model.safetensors"
STATE_FILE = "state.safetensors"
MANIFEST_FILE = "state.json"
LATEST = "latest"

_TMP_PREFIX = ".tmp-"
_OLD_PREFIX = ".old-"
_TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_POINTER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

# Skeleton markers: a JSON object with exactly one of these keys stands for a non-JSON value.
_TENSOR = "__tensor__"  # {"__tensor__": key}         a torch.Tensor stored under `key`
_NDARRAY = "__ndarray__"  # {"__ndarray__": key}      a numpy array stored under `key`
_TUPLE = "__tuple__"  # {"__tuple__": [items]}        a tuple
_DICT = "__dict__"  # {"__dict__": [[key, value]...]} a dict with non-str (or marker) keys
_FLOAT = "__float__"  # {"__float__": "nan"|"inf"|"-inf"} a non-finite float
_MARKERS = frozenset({_TENSOR, _NDARRAY, _TUPLE, _DICT, _FLOAT})


# --------------------------------------------------------------------------------------------
# Atomic file writes
# --------------------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
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


def _fsync_file(path: Path) -> None:
    """Flush an already written file's contents to disk."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that readers see either the old or the new file.

    The text goes to a temporary file in the same folder (same file system, so the rename is
    atomic), is fsync'ed, and replaces ``path`` with :func:`os.replace`. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented, strict JSON (no NaN/Infinity) to ``path`` atomically."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write_text(path, text)


# --------------------------------------------------------------------------------------------
# Nested state <-> (tensors, JSON skeleton)
# --------------------------------------------------------------------------------------------


def _standalone(tensor: Tensor, where: str) -> Tensor:
    """A detached, contiguous CPU copy that owns its storage (safetensors rejects shared storage)."""
    if tensor.layout != torch.strided:
        raise CheckpointError(f"cannot checkpoint {where}: {tensor.layout} tensors are not supported")
    return tensor.detach().to(device="cpu", copy=True).contiguous()


def _path_key(path: tuple[str, ...], used: set[str]) -> str:
    key = "/".join(path) if path else "value"
    if key in used:
        n = 1
        while f"{key}#{n}" in used:
            n += 1
        key = f"{key}#{n}"
    used.add(key)
    return key


def _encode_float(value: float) -> Any:
    if math.isfinite(value):
        return value
    return {_FLOAT: "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}


def flatten_state(obj: Any) -> tuple[dict[str, Tensor], Any]:
    """Split a nested state into its tensors and a JSON-serialisable skeleton.

    ``obj`` may nest dicts, lists, tuples, tensors, numpy arrays, python scalars (bool, int, float,
    str) and None, e.g. ``optimizer.state_dict()``, ``scheduler.state_dict()``, a module state_dict or
    :func:`capture_rng_state`. Each tensor is replaced in the skeleton by ``{"__tensor__": key}``,
    where ``key`` is the slash-joined path to it (``"optimizer/state/0/exp_avg"``); the tensor is
    copied to a detached, contiguous CPU tensor with its own storage, so views and tensors sharing
    storage are saved correctly. Dicts whose keys are not all plain strings (optimizer state uses
    int parameter ids) are recorded as ``{"__dict__": [[key, value], ...]}`` so key types survive;
    tuples as ``{"__tuple__": [...]}``; NaN/inf as ``{"__float__": "nan"}``. The skeleton dumps
    with ``json.dumps(..., allow_nan=False)``. :func:`unflatten_state` inverts this exactly.

    Raises :class:`CheckpointError` on a value of any other type (with its path).
    """
    tensors: dict[str, Tensor] = {}
    used: set[str] = set()

    def encode_key(key: Any, where: tuple[str, ...]) -> Any:
        if key is None or isinstance(key, (bool, int, str)):
            return key
        if isinstance(key, float):
            return _encode_float(key)
        if isinstance(key, tuple):
            return {_TUPLE: [encode_key(k, where) for k in key]}
        if isinstance(key, np.generic):
            return encode_key(key.item(), where)
        raise CheckpointError(
            f"cannot checkpoint {'/'.join(where) or 'value'}: dict key {key!r} of type "
            f"{type(key).__name__} is not a str, int, float, bool, None or tuple of those"
        )

    def encode(value: Any, where: tuple[str, ...]) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return _encode_float(float(value))
        if isinstance(value, Tensor):
            key = _path_key(where, used)
            tensors[key] = _standalone(value, key)
            return {_TENSOR: key}
        if isinstance(value, np.ndarray):
            key = _path_key(where, used)
            if value.dtype.kind not in "biuf":
                raise CheckpointError(
                    f"cannot checkpoint {key}: numpy arrays of dtype {value.dtype} are not supported"
                )
            tensors[key] = torch.from_numpy(np.ascontiguousarray(value).copy())
            return {_NDARRAY: key}
        if isinstance(value, np.generic):
            return encode(value.item(), where)
        if isinstance(value, Mapping):
            items = list(value.items())
            if all(isinstance(k, str) and k not in _MARKERS for k, _ in items):
                return {k: encode(v, (*where, k)) for k, v in items}
            return {
                _DICT: [[encode_key(k, where), encode(v, (*where, str(k)))] for k, v in items]
            }
        if isinstance(value, tuple):  # includes torch.Size and named tuples (restored as tuples)
            return {_TUPLE: [encode(v, (*where, str(i))) for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [encode(v, (*where, str(i))) for i, v in enumerate(value)]
        raise CheckpointError(
            f"cannot checkpoint {'/'.join(where) or 'value'}: values of type "
            f"{type(value).__name__} are not supported (use tensors, numbers, strings, None, "
            "lists, tuples and dicts)"
        )

    skeleton = encode(obj, ())
    return tensors, skeleton


def unflatten_state(tensors: Mapping[str, Tensor], skeleton: Any) -> Any:
    """Rebuild the nested state that :func:`flatten_state` split into ``tensors`` and ``skeleton``.

    Raises :class:`CheckpointError` if the skeleton names a tensor that is missing or is malformed.
    """

    def decode_marker(value: dict[str, Any]) -> tuple[bool, Any]:
        if len(value) != 1:
            return False, None
        (marker, payload), = value.items()
        if marker not in _MARKERS:
            return False, None
        if marker in (_TENSOR, _NDARRAY):
            if not isinstance(payload, str) or payload not in tensors:
                raise CheckpointError(f"checkpoint state names a missing tensor {payload!r}")
            tensor = tensors[payload]
            return True, tensor if marker == _TENSOR else tensor.numpy()
        if marker == _TUPLE:
            return True, tuple(decode(v) for v in payload)
        if marker == _DICT:
            return True, {_hashable(decode(k)): decode(v) for k, v in payload}
        if marker == _FLOAT:
            return True, float(payload)
        return False, None  # pragma: no cover

    def decode(value: Any) -> Any:
        if isinstance(value, list):
            return [decode(v) for v in value]
        if isinstance(value, dict):
            is_marker, decoded = decode_marker(value)
            if is_marker:
                return decoded
            return {k: decode(v) for k, v in value.items()}
        return value

    try:
        return decode(skeleton)
    except CheckpointError:
        raise
    except (TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint state skeleton is malformed: {exc}") from exc


def _hashable(key: Any) -> Any:
    if isinstance(key, list):  # pragma: no cover - defensive: keys are never encoded as lists
        return tuple(_hashable(k) for k in key)
    return key


# --------------------------------------------------------------------------------------------
# Random number generator states
# --------------------------------------------------------------------------------------------


def capture_rng_state(*, cuda_all_devices: bool = True) -> dict[str, Any]:
    """Snapshot every global random stream training draws from, in a :func:`flatten_state` form.

    Returns ``{"python": {...}, "numpy": {...}, "torch": ByteTensor, "cuda": [ByteTensor, ...],
    "cuda_devices": [int, ...]}``: python's ``random`` state as JSON lists/ints, numpy's legacy
    global MT19937 state as an int64 tensor plus ints/float, torch's CPU generator and, when CUDA is
    available, the generator of every visible device (``cuda_all_devices=True``; this initialises a
    CUDA context on each device, so DDP ranks should pass ``False`` to capture only the current
    device). Pyro draws from torch's generators, so this covers Pyro sampling too.
    """
    version, internal, gauss_next = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_cached = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": {"version": int(version), "internal": list(internal), "gauss_next": gauss_next},
        "numpy": {
            "bit_generator": str(np_name),
            "keys": torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "cached_gaussian": float(np_cached),
        },
        "torch": torch.get_rng_state(),
        "cuda": [],
        "cuda_devices": [],
    }
    if torch.cuda.is_available():
        if cuda_all_devices:
            devices = list(range(torch.cuda.device_count()))
        else:
            devices = [torch.cuda.current_device()]
        state["cuda"] = [torch.cuda.get_rng_state(d) for d in devices]
        state["cuda_devices"] = devices
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Set the global random streams back to a :func:`capture_rng_state` snapshot.

    Missing entries are left alone. CUDA states are restored for devices that exist now; a warning
    is given when the snapshot holds CUDA states that cannot be restored (no CUDA, fewer devices).
    """
    try:
        if "python" in state:
            py = state["python"]
            random.setstate((int(py["version"]), tuple(int(x) for x in py["internal"]), py["gauss_next"]))
        if "numpy" in state:
            nps = state["numpy"]
            keys = nps["keys"]
            keys = keys.numpy() if isinstance(keys, Tensor) else np.asarray(keys)
            np.random.set_state(
                (
                    nps["bit_generator"],
                    keys.astype(np.uint32),
                    int(nps["pos"]),
                    int(nps["has_gauss"]),
                    float(nps["cached_gaussian"]),
                )
            )
        if "torch" in state:
            torch.set_rng_state(state["torch"].to(device="cpu", dtype=torch.uint8))
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint holds an unusable random number generator state: {exc}") from exc
    cuda_states = list(state.get("cuda") or [])
    if cuda_states:
        devices = list(state.get("cuda_devices") or range(len(cuda_states)))
        available = torch.cuda.device_count() if torch.cuda.is_available() else 0
        skipped = 0
        for device, cuda_state in zip(devices, cuda_states):
            if int(device) < available:
                torch.cuda.set_rng_state(cuda_state.to(device="cpu", dtype=torch.uint8), int(device))
            else:
                skipped += 1
        if skipped:
            warnings.warn(
                f"{skipped} saved CUDA random state(s) were not restored: this machine has "
                f"{available} CUDA device(s); GPU random streams will differ from the original run",
                RuntimeWarning,
                stacklevel=2,
            )


# --------------------------------------------------------------------------------------------
# Checkpoint manager
# --------------------------------------------------------------------------------------------


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

        ``model_state``: the model's ``state_dict()`` (str -> tensor; tied/shared weights are fine,
        each is stored as its own copy). ``state``: everything else needed to resume (optimizer,
        scheduler, objective state, :func:`capture_rng_state`, counters...), see
        :func:`flatten_state`. ``step``: the optimisation step recorded in the pointer files and
        used to order checkpoints; defaults to ``state["step"]`` when that is an int. ``pointer``:
        a named pointer (e.g. ``"best"``) to move to this checkpoint as well as ``latest``.
        Re-saving an existing tag replaces it. Returns the checkpoint folder.
        """
        _check_tag(tag)
        if pointer is not None:
            _check_pointer(pointer)
        if step is None and isinstance(state.get("step"), int) and not isinstance(state.get("step"), bool):
            step = int(state["step"])
        root = self.checkpoint_root
        root.mkdir(parents=True, exist_ok=True)

        model_tensors: dict[str, Tensor] = {}
        for name, value in model_state.items():
            if not isinstance(name, str) or not isinstance(value, Tensor):
                raise CheckpointError(
                    f"model state entry {name!r} is a {type(value).__name__}, not a tensor: model "
                    "weights must be a str -> Tensor state_dict (put other values in the state)"
                )
            model_tensors[name] = _standalone(value, name)
        state_tensors, skeleton = flatten_state(dict(state))
        time = _now_iso()

        tmp = root / f"{_TMP_PREFIX}{tag}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            safetensors.torch.save_file(model_tensors, str(tmp / MODEL_FILE), metadata={"format": "pt"})
            safetensors.torch.save_file(state_tensors, str(tmp / STATE_FILE), metadata={"format": "pt"})
            del model_tensors, state_tensors
            _fsync_file(tmp / MODEL_FILE)
            _fsync_file(tmp / STATE_FILE)
            manifest = {
                "format": FORMAT_NAME,
                "version": FORMAT_VERSION,
                "tag": tag,
                "step": step,
                "time": time,
                "files": {
                    MODEL_FILE: (tmp / MODEL_FILE).stat().st_size,
                    STATE_FILE: (tmp / STATE_FILE).stat().st_size,
                },
                "state": skeleton,
            }
            text = json.dumps(manifest, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
            with open(tmp / MANIFEST_FILE, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            _fsync_dir(tmp)
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
            aside = final.with_name(f"{_OLD_PREFIX}{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
            os.replace(final, aside)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
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
            if name.startswith(_TMP_PREFIX):
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
                continue  # not ours, or damaged: leave it for a human
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

    def _resolve(self, pointer: str) -> tuple[Path, dict[str, Any]]:
        """The folder and manifest of the checkpoint ``pointer`` names, checked for completeness."""
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
        manifest_path = folder / MANIFEST_FILE
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(self._corrupt(tag, f"cannot read {MANIFEST_FILE}: {exc}")) from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise CheckpointError(self._corrupt(tag, f"{MANIFEST_FILE} is not a pyrovae checkpoint manifest"))
        if manifest.get("version") != FORMAT_VERSION:
            raise CheckpointError(
                f"checkpoint {tag!r} in {self.checkpoint_root} has format version "
                f"{manifest.get('version')!r}; this pyrovae reads version {FORMAT_VERSION}"
            )
        sizes = manifest.get("files") or {}
        for name in (MODEL_FILE, STATE_FILE):
            path = folder / name
            if not path.is_file():
                raise CheckpointError(self._corrupt(tag, f"{name} is missing"))
            expected = sizes.get(name)
            actual = path.stat().st_size
            if expected is not None and actual != expected:
                raise CheckpointError(
                    self._corrupt(tag, f"{name} has {actual} bytes, expected {expected} (truncated?)")
                )
        return folder, manifest

    def _corrupt(self, tag: str, why: str) -> str:
        return (
            f"checkpoint {tag!r} in {self.checkpoint_root} is incomplete or corrupt ({why}); delete "
            "that folder and its pointer, or start a new run"
        )

    def _load_file(self, folder: Path, name: str, device: str | torch.device) -> dict[str, Tensor]:
        try:
            return safetensors.torch.load_file(str(folder / name), device=str(device))
        except (OSError, safetensors.SafetensorError, ValueError, RuntimeError) as exc:
            raise CheckpointError(self._corrupt(folder.name, f"cannot read {name}: {exc}")) from exc

    def load(
        self, pointer: str = LATEST, *, device: str | torch.device = "cpu"
    ) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """Read the checkpoint ``pointer`` names: ``(model weights, training state)``.

        Tensors are placed on ``device``. Raises :class:`CheckpointError` if there is no such
        checkpoint, or it is incomplete or corrupt.
        """
        folder, manifest = self._resolve(pointer)
        weights = self._load_file(folder, MODEL_FILE, device)
        tensors = self._load_file(folder, STATE_FILE, device)
        state = unflatten_state(tensors, manifest.get("state"))
        if not isinstance(state, dict):
            raise CheckpointError(self._corrupt(folder.name, "the saved state is not a dict"))
        return weights, state

    def load_model_weights(
        self, pointer: str = LATEST, *, device: str | torch.device = "cpu"
    ) -> dict[str, Tensor]:
        """Read only the model weights of the checkpoint ``pointer`` names (e.g. for evaluation)."""
        folder, _ = self._resolve(pointer)
        return self._load_file(folder, MODEL_FILE, device)
