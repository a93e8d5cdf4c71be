"""Model weights in safetensors, with tied weights stored once.

A state_dict names a tied weight once per module that holds it: GPT-2's output head and its input
embedding (``decoder.output.weight is decoder.embedding.weight``) are one tensor under two names.
safetensors refuses tensors that share memory, and copying each name would store (and, for GPT-2,
double) the same matrix twice. :func:`save_weights` therefore groups the names whose tensors are
the same view of the same storage, writes the first name of each group, and records the others as
aliases in the file's metadata (JSON under :data:`ALIASES_KEY`); :func:`load_weights` gives every
alias the tensor of the name it stands for, so ``module.load_state_dict`` sees every key and the
tie is kept.

Tensors are written as they are when they already are contiguous CPU tensors (no copy); others
are copied to contiguous CPU tensors on the way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import safetensors
import safetensors.torch
import torch
from torch import Tensor

from pyrovae.errors import CheckpointError

__all__ = ["ALIASES_KEY", "load_weights", "save_weights"]

#: Metadata key of the alias record ``{"alias name": "stored name", ...}`` (JSON).
ALIASES_KEY = "pyrovae.aliases"


def _storable(name: object, tensor: object) -> Tensor:
    if not isinstance(name, str) or not isinstance(tensor, Tensor):
        raise CheckpointError(
            f"weights entry {name!r} is a {type(tensor).__name__}, not a tensor: model weights must "
            "be a str -> Tensor state_dict (put other values in the training state)"
        )
    if tensor.layout != torch.strided:
        raise CheckpointError(f"cannot save weight {name!r}: {tensor.layout} tensors are not supported")
    return tensor.detach()


def save_weights(
    path: str | os.PathLike[str], state_dict: Mapping[str, Tensor], metadata: Mapping[str, str] | None = None
) -> None:
    """Write ``state_dict`` to the safetensors file ``path``, each tied weight once.

    ``metadata``: extra strings for the file header (the key :data:`ALIASES_KEY` is taken). Raises
    :class:`CheckpointError` on an entry that is not a dense tensor. The file is written in place;
    callers that need atomicity write to a temporary path and rename.
    """
    metadata = dict(metadata or {})
    if ALIASES_KEY in metadata:
        raise CheckpointError(f"weights metadata key {ALIASES_KEY!r} is reserved for the alias record")
    stored: dict[str, Tensor] = {}
    aliases: dict[str, str] = {}
    views: dict[tuple, str] = {}
    storages: set[tuple] = set()
    for name, value in state_dict.items():
        tensor = _storable(name, value)
        storage = tensor.untyped_storage()
        if storage.nbytes() == 0:  # empty tensors share no bytes (and may share a null pointer)
            stored[name] = tensor.to(device="cpu", memory_format=torch.contiguous_format)
            continue
        view = (tensor.device, tensor.data_ptr(), tuple(tensor.shape), tensor.stride(), tensor.dtype)
        if view in views:
            aliases[name] = views[view]
            continue
        views[view] = name
        # Other views of a storage already written (slices, transposes: rare in a state_dict) are
        # written as copies of their own; aliasing them would need offsets and strides on load.
        key = (tensor.device, storage.data_ptr())
        shared = key in storages
        storages.add(key)
        stored[name] = tensor.to(device="cpu", memory_format=torch.contiguous_format, copy=shared)
    metadata.setdefault("format", "pt")
    metadata[ALIASES_KEY] = json.dumps(aliases, ensure_ascii=False)
    safetensors.torch.save_file(stored, os.fspath(path), metadata=metadata)


def load_weights(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> dict[str, Tensor]:
    """Read a :func:`save_weights` file: every name, aliases included, to a tensor on ``device``.

    An alias is the very tensor of the name it stands for. Raises what safetensors raises on an
    unreadable file (:class:`OSError`, :class:`safetensors.SafetensorError`) and
    :class:`ValueError` on a malformed alias record.
    """
    with safetensors.safe_open(os.fspath(path), framework="pt", device=str(device)) as handle:
        metadata = handle.metadata() or {}
        weights = {name: handle.get_tensor(name) for name in handle.keys()}
    aliases = json.loads(metadata.get(ALIASES_KEY, "{}"))
    if not isinstance(aliases, dict) or not all(
        isinstance(alias, str) and isinstance(target, str) and target in weights for alias, target in aliases.items()
    ):
        raise ValueError(f"the {ALIASES_KEY!r} metadata does not map names to stored weights")
    for alias, target in aliases.items():
        weights[alias] = weights[target]
    return weights
