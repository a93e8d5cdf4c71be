"""Snapshots of the global random number generators, so a resumed run draws the same numbers.

Training draws from python's ``random``, numpy's legacy global generator, torch's CPU generator
and one generator per CUDA device (Pyro samples through torch's). :func:`capture_rng_state` takes
all of them in a structure of tensors, ints, floats, strings, lists and dicts only, the types that
``torch.load(..., weights_only=True)`` rebuilds without unpickling arbitrary objects (numpy's key
array becomes an int64 tensor); :func:`restore_rng_state` puts them back.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from pyrovae.errors import CheckpointError

__all__ = ["capture_rng_state", "restore_rng_state"]


def capture_rng_state(*, cuda_all_devices: bool = True) -> dict[str, Any]:
    """Snapshot every global random stream training draws from.

    Returns ``{"python": {...}, "numpy": {...}, "torch": ByteTensor, "cuda": [ByteTensor, ...],
    "cuda_devices": [int, ...]}``: python's ``random`` state as ints in a list, numpy's legacy
    global MT19937 state as an int64 tensor plus ints and a float, torch's CPU generator and, when
    CUDA is available, the generator of every visible device (``cuda_all_devices=True``; this
    initialises a CUDA context on each device, so DDP ranks should pass ``False`` to capture only
    the current device).
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

    The snapshot's tensors may be on any device (a checkpoint loaded onto the GPU). Missing entries
    are left alone. CUDA states are restored for devices that exist now; a warning is given when
    the snapshot holds CUDA states that cannot be restored (no CUDA, fewer devices). Raises
    :class:`CheckpointError` when an entry is malformed.
    """
    try:
        if "python" in state:
            py = state["python"]
            random.setstate((int(py["version"]), tuple(int(x) for x in py["internal"]), py["gauss_next"]))
        if "numpy" in state:
            nps = state["numpy"]
            np.random.set_state(
                (
                    nps["bit_generator"],
                    nps["keys"].cpu().numpy().astype(np.uint32),
                    int(nps["pos"]),
                    int(nps["has_gauss"]),
                    float(nps["cached_gaussian"]),
                )
            )
        if "torch" in state:
            torch.set_rng_state(state["torch"].to(device="cpu", dtype=torch.uint8))
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise CheckpointError(
            f"checkpoint holds an unusable random number generator state ({exc}): it is damaged or "
            "was not written by pyrovae; start a new run"
        ) from exc
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
